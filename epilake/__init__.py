"""EpiLake: the lakehouse and analytics warehouse under a city's pandemic response."""

__version__ = "0.1.0"
