"""An optional model judge: helpfulness, empathy and tone on a fixed 1-5 rubric (``prompts/eval/judge.txt``).

Every draft is judged twice, so the report can show how often the judge disagrees with itself.
It is one signal among the automatic checks, never the only one: a judge model shares the
blind spots of the model it grades.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from replyassist._resources import prompts_dir
from replyassist.eval.cases import EvalCase
from replyassist.eval.outcome import Outcome
from replyassist.models import Role

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

__all__ = ["Judge", "JudgeVerdict", "parse_verdict"]

RUNS = 2
_SPLIT = "=== human ==="
_JSON = re.compile(r"\{.*\}", re.S)
_CRITERIA = ("helpfulness", "empathy", "tone")


@dataclass(frozen=True)
class JudgeVerdict:
    """One judgement of one draft: three scores from 1 to 5, and the judge's reason."""

    helpfulness: int
    empathy: int
    tone: int
    reason: str = ""


def parse_verdict(text: str) -> JudgeVerdict | None:
    """The verdict in a judge's answer, ``None`` when it holds no valid one (a score outside 1-5…)."""
    match = _JSON.search(text)
    if match is None:
        return None
    try:
        data = json.loads(match.group())
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    scores: dict[str, int] = {}
    for criterion in _CRITERIA:
        value = data.get(criterion)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value <= 5:
            return None
        scores[criterion] = round(value)
    return JudgeVerdict(**scores, reason=str(data.get("reason", ""))[:300])


def _escape(text: str) -> str:
    """Data cannot close the tag it sits in."""
    return text.replace("<", "‹").replace(">", "›")


class Judge:
    """Scores drafts with a chat model (its own instance: its calls are not the drafts' prompts)."""

    def __init__(self, chat: BaseChatModel) -> None:
        self.chat = chat
        raw = (prompts_dir() / "eval" / "judge.txt").read_text(encoding="utf-8")
        body = re.sub(r"\A---.*?---\s*", "", raw, flags=re.S)
        system, _, human = body.partition(_SPLIT)
        self.system, self.human = system.strip(), human.strip()
        self.failures = 0

    def _prompt(self, case: EvalCase, outcome: Outcome) -> str:
        conversation = "\n\n".join(
            f"{'Customer' if m.author is Role.CUSTOMER else 'Agent'}: {m.body}"
            for m in case.ticket.messages
            if m.public
        )
        values = {
            "channel": case.ticket.channel.value,
            "conversation": _escape(conversation),
            "reference": _escape(case.expect.reference_reply or "(none)"),
            "draft": _escape(outcome.text),
        }
        return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: values.get(m.group(1), m.group()), self.human)

    def assess(self, case: EvalCase, outcome: Outcome) -> list[JudgeVerdict | None]:
        """Judge ``outcome`` ``RUNS`` times; a run that fails or answers nonsense gives ``None``."""
        from langchain_core.messages import HumanMessage, SystemMessage

        messages: list[Any] = [SystemMessage(self.system), HumanMessage(self._prompt(case, outcome))]
        verdicts: list[JudgeVerdict | None] = []
        for _ in range(RUNS):
            try:
                answer = self.chat.invoke(messages)
            except Exception:  # a failed judgement is counted, never fatal to the run
                verdict = None
            else:
                content = answer.content if isinstance(answer.content, str) else json.dumps(answer.content)
                verdict = parse_verdict(content)
            self.failures += verdict is None
            verdicts.append(verdict)
        return verdicts
