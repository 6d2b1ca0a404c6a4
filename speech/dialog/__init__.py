"""The dialog manager: turn-taking, confirmations, repeats and re-asks."""

from speech.dialog.manager import (
    Action,
    DialogManager,
    DialogParams,
    Priority,
    PublishIntent,
    Say,
)

__all__ = ["Action", "DialogManager", "DialogParams", "Priority", "PublishIntent", "Say"]
