"""The optional C extension of flujo_tuning (everything else is in pyproject.toml).

setuptools' ``setup.py`` API is the stable way to declare it: the ``[tool.setuptools]
ext-modules`` table is still marked experimental and warns at every build. ``optional=True``: where
it cannot be compiled (no compiler, no headers) the install goes on without it, and cache keys use
the msgspec encoder (the same bytes).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "flujo_tuning.cache_keys._fk1native",
            sources=["flujo_tuning/cache_keys/_fk1native.c"],
            optional=True,
        )
    ]
)
