"""The AP's breach-notification form as data: its facts, its questions, the answers and the verdict.

One answer set, several renderings. `answer_set(facts)` turns what the register knows (incident, profile,
assessment, recommendation, decision, subject-notification status, filing history) into an `AnswerSet`: per
question of the AP form (docs/domain/ap-form.md) the facts that answer it, as codes and values, never prose,
plus the source fields that are still unknown. The templates under templates/<lang>/authority/ put it into
words (the printable notice, the field-by-field text, the check); another renderer (the EDPB template) can read
the same set. No database and no Prefect here: the service layer gathers the facts.

facts.py holds what a notice is made from, questions.py the form's questions and their sources, answers.py the
rules and one answerer per question, verdict.py whether the notice can be filed now.
"""

from incidents.authority_notice.answers import (
    FORM_GROUPS,
    Answer,
    Answered,
    AnswerSet,
    answer_set,
    consequences_for_people,
    form_group,
    processing_consequences,
    severity_factors,
)
from incidents.authority_notice.facts import (
    INCIDENT_KINDS,
    NAME_TOKEN,
    RECORDABLE,
    Filing,
    FixedAnswers,
    NoticeFacts,
    OpenAnswers,
    Purpose,
    SentText,
    Severity,
    SubjectCounts,
    open_answers,
    parse_open_answer,
)
from incidents.authority_notice.questions import QUESTION, QUESTIONS, Question, UnknownSource, source_type
from incidents.authority_notice.verdict import Check, Verdict, filing_verdict

__all__ = [
    "FORM_GROUPS", "INCIDENT_KINDS", "NAME_TOKEN", "QUESTION", "QUESTIONS", "RECORDABLE", "Answer", "AnswerSet",
    "Answered", "Check", "Filing", "FixedAnswers", "NoticeFacts", "OpenAnswers", "Purpose", "Question", "SentText",
    "Severity", "SubjectCounts", "UnknownSource", "Verdict", "answer_set", "consequences_for_people",
    "filing_verdict", "form_group", "open_answers", "parse_open_answer", "processing_consequences",
    "severity_factors", "source_type",
]
