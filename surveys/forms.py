from django import forms

from .models import Question, Response
from .services import Answers


class ResponseForm(forms.Form):
    """One field per question, named by its code. Required only when submitting: a draft may
    be saved half-done."""

    def __init__(self, *args, questions: list[Question], submitting: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            self.fields[question.code] = self._field(question, required=submitting)

    @staticmethod
    def _field(question: Question, *, required: bool) -> forms.Field:
        common = {
            "label": question.text,
            "help_text": question.help_text,
            "required": required and question.required,
        }
        choices = [(o.code, o.label) for o in question.options.all()]
        if question.kind == Question.Kind.MULTIPLE:
            return forms.MultipleChoiceField(
                choices=choices, widget=forms.CheckboxSelectMultiple, **common
            )
        if question.is_choice:
            return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
        if question.kind == Question.Kind.NUMBER:
            return forms.DecimalField(max_digits=12, decimal_places=2, **common)
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, **common)

    def answers(self) -> Answers:
        return {code: self.cleaned_data.get(code) for code in self.fields}


def initial_from(response: Response | None) -> dict:
    """The form's initial values from a saved draft."""
    if response is None:
        return {}
    initial: dict = {}
    for answer in response.answers.select_related("question", "option"):
        question = answer.question
        if question.kind == Question.Kind.MULTIPLE:
            initial.setdefault(question.code, []).append(answer.option.code)
        elif answer.option_id:
            initial[question.code] = answer.option.code
        elif question.kind == Question.Kind.NUMBER:
            initial[question.code] = answer.number
        else:
            initial[question.code] = answer.text
    return initial
