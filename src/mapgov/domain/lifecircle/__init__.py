"""The ten-minute life circle: walking network, coverage, siting, standards."""
