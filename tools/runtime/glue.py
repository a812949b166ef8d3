"""Python side of the local runtime's entrypoint glue (run inside Pyodide, never imported).

`wrapper_func` is workerd's introspection.wrapper_func, unchanged but for line breaks.
"""

import sys
from inspect import isawaitable

from pyodide.code import relaxed_call
from workers import WorkerEntrypoint, python_from_rpc, python_to_rpc


def import_main(name):
    try:
        # __import__ (not importlib.import_module) so tracebacks drop importlib's frames.
        __import__(name)
        return sys.modules[name]
    except ModuleNotFoundError as exc:
        if exc.name == "src":
            exc.add_note(
                "If your main module is inside the 'src' directory then your import "
                "statement shouldn't include a 'src.' prefix"
            )
        raise


def default_class(module):
    cls = getattr(module, "Default", None)
    if cls is None:
        raise TypeError("There is no 'Default' class defined in the Python Worker's main module")
    if not (isinstance(cls, type) and issubclass(cls, WorkerEntrypoint)):
        raise TypeError("'Default' in the Python Worker's main module must subclass workers.WorkerEntrypoint")
    return cls


async def wrapper_func(relaxed, inst, prop, *args, **kwargs):
    method = getattr(inst, prop)
    py_args = [python_from_rpc(arg) for arg in args]
    py_kwargs = {k: python_from_rpc(v) for k, v in kwargs.items()}
    result = relaxed_call(method, *py_args, **py_kwargs) if relaxed else method(*py_args, **py_kwargs)
    if isawaitable(result):
        return python_to_rpc(await result)
    else:
        return python_to_rpc(result)
