"""Run an evaluation: draft every case with every composer, score each draft, gather the figures."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from replyassist._errors import KnowledgeBaseError
from replyassist.eval.cases import EvalCase
from replyassist.eval.composers import DraftRunner
from replyassist.eval.outcome import Outcome, Score
from replyassist.eval.scoring import (
    METRICS,
    CaseContext,
    K,
    case_quality,
    repeated_openings,
    reply_style,
    score_case,
)
from replyassist.policy import Policy

if TYPE_CHECKING:
    from replyassist.eval.judge import Judge, JudgeVerdict
    from replyassist.knowledge import KnowledgeBase

__all__ = ["CaseResult", "EvalRun", "run_eval"]

PUBLIC_SOCIAL = "public social"


@dataclass
class CaseResult:
    """One composer's draft of one case, and its scores."""

    case: EvalCase
    outcome: Outcome
    scores: dict[str, Score]
    channel: str
    language: str
    public: bool
    judge: list[JudgeVerdict | None] = field(default_factory=list)

    @property
    def quality(self) -> float:
        return case_quality(self.scores)


@dataclass
class EvalRun:
    """Everything one ``replyassist eval`` run produced."""

    cases: list[EvalCase]
    composers: list[str]
    results: list[CaseResult]
    not_run: dict[str, str] = field(default_factory=dict)
    """Composers asked for but not run, with the reason."""
    meta: dict[str, Any] = field(default_factory=dict)
    bm25_recall: Score | None = None
    """recall@k of LangChain's BM25Retriever over the KB's articles, on the cases that name articles."""

    def of(self, composer: str) -> list[CaseResult]:
        return [r for r in self.results if r.outcome.composer == composer]

    def figures(self) -> dict[str, Any]:
        """Every figure of the run, as plain JSON-ready data (what ``figures.json`` holds)."""
        return build_figures(self)


def _kb_loader(default: KnowledgeBase | None, cases_file: Path | None) -> Callable[[EvalCase], KnowledgeBase]:
    cache: dict[Path, KnowledgeBase] = {}

    def kb_for(case: EvalCase) -> KnowledgeBase:
        path = case.kb_path(cases_file)
        if path is None:
            if default is None:
                raise KnowledgeBaseError(f"case {case.id!r} names no KB and no --kb was given")
            return default
        if path not in cache:
            from replyassist.knowledge import KnowledgeBase

            cache[path] = (
                KnowledgeBase.load(path)
                if KnowledgeBase.is_saved(path)
                else KnowledgeBase.from_directory(path)
            )
        return cache[path]

    return kb_for


def run_eval(
    cases: Sequence[EvalCase],
    runners: Sequence[DraftRunner],
    *,
    kb: KnowledgeBase | None,
    policy: Policy | None = None,
    cases_file: Path | None = None,
    not_run: dict[str, str] | None = None,
    judge: Judge | None = None,
    bm25: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> EvalRun:
    """Draft every case with every runner and score the drafts.

    Args:
        cases: the cases.
        runners: one per composer, in the order reports show them.
        kb: the KB of cases that name none.
        policy: the brand policy every case's own ``policy`` is merged over.
        cases_file: where the cases came from (relative per-case KB paths are read from there).
        not_run: composers asked for that cannot run, with the reason (reported as such).
        judge: scores helpfulness, empathy and tone of every draft with text, twice.
        bm25: also measure recall@k of LangChain's ``BM25Retriever`` on the same KB and cases
            (the yardstick of the pipeline's retrieval; skipped when LangChain is missing).
        progress: called with (drafts done, drafts in all).
    """
    policy = policy or Policy()
    kb_for = _kb_loader(kb, cases_file)
    results: list[CaseResult] = []
    bm25_hits: list[bool] = []
    retriever = _bm25() if bm25 else None
    total, done = len(cases) * len(runners), 0
    for case in cases:
        case_kb = kb_for(case)
        ctx = CaseContext.of(case, policy)
        last = case.ticket.last_customer_message
        if retriever is not None and case.expect.cite and last is not None:
            top = retriever.top(case_kb, last.body)[0][:K]
            bm25_hits.append(any(a in case.expect.cite for a in top))
        for runner in runners:
            outcome = runner.run(case, case_kb, policy)
            result = CaseResult(
                case=case,
                outcome=outcome,
                scores=score_case(ctx, outcome),
                channel=case.ticket.channel.value,
                language=ctx.language or "?",
                public=ctx.profile.public,
            )
            if judge is not None and outcome.text.strip():
                result.judge = judge.assess(case, outcome)
            results.append(result)
            done += 1
            if progress is not None:
                progress(done, total)
    return EvalRun(
        cases=list(cases),
        composers=[r.name for r in runners],
        results=results,
        not_run=dict(not_run or {}),
        meta={"created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")},
        bm25_recall=Score(sum(bm25_hits), len(bm25_hits)) if bm25_hits else None,
    )


def _bm25() -> Any:
    from replyassist._errors import MissingDependencyError
    from replyassist.eval.baseline import BM25Articles

    try:
        return BM25Articles()
    except MissingDependencyError:
        return None


# -- figures -------------------------------------------------------------------------------------


def aggregate(results: Iterable[CaseResult]) -> dict[str, dict[str, float]]:
    """Per metric: ``{"value": hits/n, "hits": …, "n": …}`` over ``results`` (metrics with n = 0 left out)."""
    hits: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    for result in results:
        for name, score in result.scores.items():
            hits[name] += score.hits
            counts[name] += score.n
    return {
        name: {"value": hits[name] / counts[name], "hits": hits[name], "n": counts[name]}
        for name in METRICS
        if counts.get(name)
    }


def _grouped(results: Sequence[CaseResult], key: Callable[[CaseResult], str]) -> dict[str, Any]:
    groups: dict[str, list[CaseResult]] = defaultdict(list)
    for result in results:
        groups[key(result)].append(result)
    return {
        name: {"cases": len(group), "quality": _mean([r.quality for r in group]), "metrics": aggregate(group)}
        for name, group in sorted(groups.items())
    }


def _mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def _composer_figures(run: EvalRun, composer: str) -> dict[str, Any]:
    results = run.of(composer)
    outcomes = [r.outcome for r in results]
    drafted = [o for o in outcomes if o.error is None]
    public = [r for r in results if r.public]
    redirects = sum(1 for r in public if r.scores.get("no_off_channel_redirect", Score(1, 1)).hits == 0)
    openings = repeated_openings([(r.outcome.text, r.case.ticket.customer.first_name) for r in results])
    latencies = [o.latency_ms for o in drafted]
    references = [r for r in results if r.case.expect.reference_reply]
    figures: dict[str, Any] = {
        "cases": len(results),
        "errors": len(outcomes) - len(drafted),
        "decisions": dict(sorted(_count(str(o.decision.value) for o in drafted if o.decision).items())),
        "quality": _mean([r.quality for r in results]),
        "metrics": aggregate(results),
        "by_channel": _grouped(results, lambda r: r.channel),
        "by_language": _grouped(results, lambda r: r.language),
        "by_suite": _grouped(results, lambda r: r.case.tags.get("suite", "(none)")),
        PUBLIC_SOCIAL.replace(" ", "_"): {
            "drafts": len(public),
            "metrics": aggregate(public),
            "off_channel_redirects": redirects,
        },
        "boilerplate": {
            "drafts": openings.drafts,
            "repeated_openings": openings.repeated,
            "top_openings": [{"opening": o, "drafts": n} for o, n in openings.top],
        },
        "latency_ms": {
            "p50": _percentile(latencies, 0.5),
            "p95": _percentile(latencies, 0.95),
            "mean": _mean(latencies),
        },
        "tokens": {
            "input": sum(o.input_tokens for o in drafted),
            "output": sum(o.output_tokens for o in drafted),
            "input_per_draft": _mean([o.input_tokens for o in drafted]),
            "output_per_draft": _mean([o.output_tokens for o in drafted]),
        },
        "fallbacks": sum(1 for o in drafted if o.actual_composer == "offline" and composer != "offline"),
    }
    if references:
        figures["vs_agents"] = {
            "drafts": reply_style(
                [(r.outcome.text, r.outcome.language or r.language) for r in references]
            ).__dict__,
            "agents": reply_style(
                [(r.case.expect.reference_reply or "", r.language) for r in references]
            ).__dict__,
        }
    judged = [r for r in results if r.judge]
    if judged:
        figures["judge"] = _judge_figures(judged)
    return figures


def _count(values: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for value in values:
        out[value] += 1
    return dict(out)


def _judge_figures(judged: Sequence[CaseResult]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "drafts": len(judged),
        "failed_runs": sum(v is None for r in judged for v in r.judge),
    }
    for criterion in ("helpfulness", "empathy", "tone"):
        firsts, diffs = [], []
        for result in judged:
            values = [getattr(v, criterion) for v in result.judge if v is not None]
            if values:
                firsts.append(_mean(values))
            if len(values) == 2:
                diffs.append(abs(values[0] - values[1]))
        out[criterion] = {
            "mean": _mean(firsts),
            "runs_disagree": sum(d >= 1 for d in diffs) / len(diffs) if diffs else 0.0,
            "mean_abs_difference": _mean(diffs),
        }
    return out


def build_figures(run: EvalRun) -> dict[str, Any]:
    """Every figure of ``run`` as JSON-ready data."""
    by_case: dict[str, list[float]] = defaultdict(list)
    for result in run.results:
        by_case[result.case.id].append(result.quality)
    # Ranked by the mean over composers: a case every composer gets wrong comes first.
    worst = sorted(((case_id, _mean(q)) for case_id, q in by_case.items()), key=lambda item: item[1])
    return {
        "meta": {**run.meta, "cases": len(run.cases), "composers": run.composers, "not_run": run.not_run},
        "metrics": {name: description for name, description in METRICS.items()},
        "composers": {name: _composer_figures(run, name) for name in run.composers},
        "retrieval_yardstick": (
            {
                "retriever": "LangChain BM25Retriever over whole articles (last customer message as query)",
                "k": K,
                "recall_at_k": run.bm25_recall.value,
                "hits": run.bm25_recall.hits,
                "n": run.bm25_recall.n,
            }
            if run.bm25_recall is not None
            else None
        ),
        "worst_cases": [{"case": case_id, "quality": q} for case_id, q in worst[:10]],
    }
