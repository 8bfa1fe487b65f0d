"""Timesheets for SynergyOS: an in-house plugin kept outside the kernel's distribution."""

__version__ = "1.0.0"
