"""SynergyOS bundled security plugin: security log, rate limits, lockout, headers, sessions.

Built only on the public hook specs: it learns about logins from the kernel's
``auth.*`` events, adds middleware for rate limits, lockout counting, denied
authorisations and response headers, and serves the security endpoints.
"""

__version__ = "0.1.0"
