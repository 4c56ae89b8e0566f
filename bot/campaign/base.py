"""What every part of a pack is made of: strict frozen models, bilingual texts, sources."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from bot.campaign.fields import Text

Source = Annotated[str, Field(min_length=1, max_length=300)]
"""Where a target, date or threshold comes from: "seed 000, line 42", or "default, change it".
Required on every indicator (its target), deadline (its date) and quiz (its pass mark)."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class LocalText(_Model):
    """A text in Vietnamese and English."""

    vi: Text
    en: Text

    def get(self, lang: str) -> str:
        """The text in `lang` ("vi" or "en"); Vietnamese for anything else."""
        return self.en if lang == "en" else self.vi
