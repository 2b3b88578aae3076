"""The HTTP and websocket edges of the app: request and response models (``schemas``),
dependencies (``deps``), the error handler (``errors``), the investor and console routes,
and the two websocket endpoints. Routes only translate; the work is in
:mod:`assistant.conversations` and :mod:`assistant.staff`."""
