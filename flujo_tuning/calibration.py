"""Deprecated: ``flujo_tuning.calibration`` moved into the package's layers and is kept for one release.

Use flujo_tuning.calibrate(), CalibrationReport and CalibrationError instead.
"""

from ._errors import moved

__getattr__ = moved(
    __name__,
    ("flujo_tuning.tools.calibrate",),
    "flujo_tuning.calibrate(), CalibrationReport and CalibrationError",
)
