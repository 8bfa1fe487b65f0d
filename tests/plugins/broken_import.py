"""Fails while being imported, as a plugin with a missing dependency would."""

raise ImportError("No module named 'a_library_nobody_installed'")
