"""Tables out of mapgov: CSV (UTF-8 with BOM, so Excel opens Chinese text), Excel, GeoJSON.

Used by the CLI and by the pages' download buttons (as bytes). Infinite distances ("none within
reach") are written as empty cells; lists are joined with "、".
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd

from mapgov.errors import ValidationError

__all__ = ["FORMATS", "frame_bytes", "write_frame"]

FORMATS: Final = {
    ".csv": "text/csv",
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".geojson": "application/geo+json",
}


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if col == getattr(out, "_geometry_column_name", None):
            continue
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].where(np.isfinite(out[col]), None).round(1)
        elif out[col].dtype == object and out[col].map(lambda v: isinstance(v, list)).any():
            out[col] = out[col].map(lambda v: "、".join(map(str, v)) if isinstance(v, list) else v)
    return out


def frame_bytes(frame: pd.DataFrame, suffix: str) -> bytes:
    """`frame` encoded as ``.csv``, ``.xlsx`` or ``.geojson`` (GeoDataFrames only) bytes."""
    suffix = suffix.lower()
    plain = _plain(frame)
    if suffix == ".geojson":
        if not isinstance(frame, gpd.GeoDataFrame):
            msg = "GeoJSON needs a table with geometry"
            raise ValidationError(msg)
        data = json.loads(plain.to_crs("EPSG:4326").to_json(na="null", drop_id=True))
        return json.dumps(data, ensure_ascii=False).encode("utf-8")
    table = (
        pd.DataFrame(plain.drop(columns=plain.geometry.name))
        if isinstance(plain, gpd.GeoDataFrame)
        else plain
    )
    if suffix == ".csv":
        return table.to_csv(index=False).encode("utf-8-sig")
    if suffix == ".xlsx":
        buf = io.BytesIO()
        with pd.ExcelWriter(buf, engine="openpyxl") as xl:
            table.to_excel(xl, index=False)
        return buf.getvalue()
    msg = f"unknown output format {suffix!r}; use one of {', '.join(FORMATS)}"
    raise ValidationError(msg)


def write_frame(frame: pd.DataFrame, path: Path) -> Path:
    """Write `frame` to `path`, the format chosen by its suffix; all or nothing."""
    path = Path(path)
    data = frame_bytes(frame, path.suffix)
    if not path.parent.is_dir():
        msg = f"cannot write {path}: directory {path.parent} does not exist"
        raise ValidationError(msg)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path
