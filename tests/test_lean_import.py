"""The lean aiogram import: every Telegram type and method still builds, and memory drops."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_what_aiogram_needs_at_run_time_is_complete() -> None:
    run(
        """
        from bot import lean_import
        assert lean_import.install()
        import aiogram.methods as methods
        from aiogram.methods.base import Response
        from aiogram.types import Update
        assert Update.__pydantic_complete__
        for name in methods.__all__:
            returning = getattr(getattr(methods, name), "__returning__", None)
            if returning is not None and not isinstance(returning, property):
                Response[returning].model_json_schema()  # fails if a part is not built
        Response[list[Update]].model_validate({"ok": True, "result": []})
        """
    )


def test_every_type_and_method_builds_on_first_use() -> None:
    out = run(
        """
        from bot import lean_import
        assert lean_import.install()  # before aiogram
        import aiogram.types as types, aiogram.methods as methods
        from pydantic import BaseModel
        built = 0
        for module in (types, methods):
            for name in module.__all__:
                cls = getattr(module, name)
                if isinstance(cls, type) and issubclass(cls, BaseModel):
                    assert cls.model_rebuild() is not False, name
                    assert cls.__pydantic_complete__, name
                    built += 1
        update = types.Update.model_validate({
            "update_id": 1,
            "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"},
                        "from": {"id": 5, "is_bot": False, "first_name": "Lan"},
                        "photo": [{"file_id": "a", "file_unique_id": "b", "width": 1, "height": 1}],
                        "caption": "x"},
        })
        assert update.message.photo[0].file_id == "a"
        print(built)
        """
    )
    assert int(out) > 500


def test_lean_import_uses_far_less_memory() -> None:
    probe = """
        import psutil, sys
        {first}
        from aiogram import Bot, Dispatcher
        from aiogram.types import Update
        print(psutil.Process().memory_info().rss // 2**20)
    """
    lean = int(run(probe.format(first="from bot import lean_import; lean_import.install()")))
    eager = int(run(probe.format(first="import aiogram")))
    assert lean < eager - 40, (lean, eager)


def test_importing_bot_leaves_aiogram_alone() -> None:
    """Only the CLI entry point opts in: `import bot` changes nothing in pydantic."""
    run(
        """
        import bot, bot.app, sys
        from pydantic import BaseModel
        assert "model_rebuild" in BaseModel.__dict__
        from aiogram.types import Message
        assert Message.__pydantic_complete__
        """
    )


def test_the_installed_versions_are_the_tested_ones() -> None:
    """The pin: a new aiogram or pydantic release series needs this module checked again."""
    from bot import lean_import

    assert lean_import.tested_versions(), lean_import.TESTED


def test_the_bot_process_leaves_charts_and_workbooks_to_the_worker() -> None:
    """Matplotlib (~50 MB) and xlsxwriter load where charts and workbooks are made, in
    the worker process: starting the bot must not import them (idle RSS < 120 MB)."""
    run(
        """
        import sys
        import bot.cli, bot.app
        from bot.handlers import build_flows, get_routers
        get_routers(), build_flows()
        heavy = {"matplotlib", "xlsxwriter", "numpy", "PIL"} & {m.split(".")[0] for m in sys.modules}
        assert not heavy, heavy
        """
    )
