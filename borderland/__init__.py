"""borderland: digital divides across state borders.

The Python API takes and returns GeoDataFrames; each step lives in its own module
(``io -> layers -> indicators -> index -> typology -> {border, neighbours} -> pipeline ->
{maps, export}``). Heavy libraries (folium, libpysal) are imported only where they are used.

Examples
--------
>>> from borderland import pipeline
>>> result = pipeline.run()                    # the bundled study
>>> result.regions.loc["RU-MUR", "border_order"]
np.int64(1)
"""

from __future__ import annotations

__version__ = "0.1.0"
