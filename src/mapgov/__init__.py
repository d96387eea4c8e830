"""mapgov: one map (一张图) of residential compound governance for Chinese streets."""

__all__ = ["__version__"]

__version__ = "0.1.0"
