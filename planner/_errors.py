"""The planner's exceptions: one place, all ValueError subclasses.

Every message is one line that says what is wrong, where (file, row) and how to fix it.
"""

from __future__ import annotations


class PlannerError(ValueError):
    """Base class of every error the planner raises on unusable input.

    The message is always shown on one line, even when it quotes a library's message that
    spans several.
    """

    #: what kind of problem, in Chinese, for the first words of the one-line message
    zh = "无法继续"

    def __str__(self) -> str:
        return one_line(super().__str__())


class ConfigError(PlannerError):
    """``planner.toml`` is missing, unreadable or has an invalid value."""

    zh = "planner.toml 设置有误"


class InputFileError(PlannerError):
    """An input layer is missing, unreadable or lacks a required column."""

    zh = "输入文件有误"


class DatumError(PlannerError):
    """A layer declares a datum the planner does not know."""

    zh = "坐标系（datum）有误"


class CRSError(PlannerError):
    """A coordinate reference system is missing, geographic where metric is needed, or wrong."""

    zh = "坐标参照系有误"


class IncompleteInputError(PlannerError):
    """A site list lost more of its records than the run may lose: its result would be
    wrong, so the run stops unless the user accepts an incomplete result."""

    zh = "数据不全"


class ModelError(PlannerError):
    """An optimisation model is infeasible or was given inconsistent arrays."""

    zh = "模型无法求解"


class OutputFolderError(PlannerError):
    """The output folder cannot be used: it holds files the planner did not write, another
    run is writing it, it is a file, or it cannot be written (read-only, disk full)."""

    zh = "成果文件夹不可用"


class WorkspaceFolderError(PlannerError):
    """``planner init`` cannot write the folder: it is a file, it holds files ``init`` did
    not write (or that were filled in since), or it cannot be written."""

    zh = "工作区文件夹不可用"


def one_line(exc: BaseException | str) -> str:
    """The message of ``exc`` on one line (library messages may span several)."""
    return " ".join(str(exc).split())
