"""HTTP helpers for kernel and plugin resources: the public toolkit for writing routes."""

from synergy.http.body import read_json
from synergy.http.endpoint import EndpointSpec, endpoint
from synergy.http.pagination import paginate
from synergy.http.render import iso, iso_date

__all__ = ["EndpointSpec", "endpoint", "iso", "iso_date", "paginate", "read_json"]
