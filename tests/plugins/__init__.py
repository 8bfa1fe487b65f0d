"""Small plugins the platform tests load: one per behaviour the plugin host must handle."""
