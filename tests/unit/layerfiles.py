"""Write a layer as each file format an office hands over, for the importer tests."""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import geopandas as gpd


def write_layer(frame: gpd.GeoDataFrame, path: Path, **kwargs: str) -> Path:
    """`frame` as `path`, chosen by suffix: .zip (a zipped Shapefile), .parquet, .csv / .xlsx
    (points as x/y columns, no CRS), else what GDAL writes for the suffix. `kwargs` go to the
    Shapefile writer (e.g. ``encoding="GBK"``). Warnings about a missing CRS or shortened
    Shapefile names are what the tests want, and are silenced."""
    suffix = path.suffix
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        if suffix in (".csv", ".xlsx"):
            geometry = frame.geometry
            table = frame.drop(columns=geometry.name).assign(x=geometry.x, y=geometry.y)
            if suffix == ".csv":
                table.to_csv(path, index=False)
            else:
                table.to_excel(path, index=False)
        elif suffix == ".zip":
            folder = path.with_suffix("")
            folder.mkdir()
            frame.to_file(folder / f"{path.stem}.shp", **kwargs)
            with zipfile.ZipFile(path, "w") as z:
                for f in folder.iterdir():
                    z.write(f, f.name)
        elif suffix == ".parquet":
            frame.to_parquet(path)
        else:
            frame.to_file(path)
    return path
