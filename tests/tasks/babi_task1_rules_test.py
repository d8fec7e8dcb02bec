from tasks.language import babi_task1_rules as rules

STORY = (
    "mary moved to the bathroom . john went back to the hallway . "
    "mary journeyed to the garden . sandra went to the office . "
).split()


def test_person_rule_answers_with_the_last_place_of_that_person():
    assert rules.person_rule(STORY + "where is mary ? -".split()) == "garden"
    assert rules.person_rule(STORY + "where is john ? -".split()) == "hallway"


def test_last_place_rule_answers_with_the_last_place_mentioned():
    assert rules.last_place_rule(STORY + "where is mary ? -".split()) == (
        "office"
    )


def test_rules_give_none_without_an_answer():
    assert rules.person_rule(STORY + "where is daniel ? -".split()) is None
    assert rules.person_rule("where is mary ? -".split()) is None
    assert rules.last_place_rule("where is mary ? -".split()) is None
    assert rules.person_rule([]) is None
