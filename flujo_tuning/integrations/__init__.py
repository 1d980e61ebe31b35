"""One module per host that makes its own event loops or processes; each is imported only when used.

- ``flujo_tuning.integrations.uvicorn``: ``--loop flujo_tuning.integrations.uvicorn:loop_factory``
- ``flujo_tuning.integrations.gunicorn``: ``-k flujo_tuning.integrations.gunicorn.UvicornWorker``
- ``flujo_tuning.integrations.ray``: ``ray.init(runtime_env=runtime_env())``
"""
