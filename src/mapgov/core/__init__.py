"""The core: names, exceptions, settings, CRS, clock, text and masking; no store, no I/O."""
