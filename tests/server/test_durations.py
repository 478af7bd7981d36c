"""Predicting a workflow's run time from its request, learned from the account's history: pure, no I/O."""

from __future__ import annotations

import json

import pytest

from linkedapi_mcp.server.durations import definition_features, predict, predict_row, row_features


def test_features_count_action_runs_and_requested_items_including_an_iterators_fan_out() -> None:
    company = {
        "actionType": "st.openCompanyPage",
        "companyUrl": "https://www.linkedin.com/company/x",
        "basicInfo": True,
        "then": [{"actionType": "st.retrieveCompanyEmployees", "limit": 300}],
    }
    assert definition_features(company) == {
        "n:st.openCompanyPage": 1,
        "n:st.retrieveCompanyEmployees": 1,
        "items:st.retrieveCompanyEmployees": 300,
    }
    each = {
        "actionType": "st.searchPeople",
        "limit": 3,
        "then": {"actionType": "st.doForPeople", "then": {"actionType": "st.openPersonPage", "basicInfo": True}},
    }
    assert definition_features(each) == {"n:st.searchPeople": 1, "items:st.searchPeople": 3, "n:st.openPersonPage": 3}
    assert definition_features({"actionType": "st.retrieveConnections"}) == {
        "n:st.retrieveConnections": 1,
        "default:st.retrieveConnections": 1,
    }


def test_row_features_rebuild_the_definition_from_the_ledgers_arguments() -> None:
    features = row_features("searchPeople", json.dumps({"term": "engineer", "limit": 25}))
    assert features == {"n:st.searchPeople": 1, "items:st.searchPeople": 25}
    assert row_features("fetchPerson", "{}") == {}  # unreadable arguments teach nothing
    assert row_features("noSuchOperation", "{}") == {}


def _search(limit: int) -> dict[str, float]:
    return {"n:st.searchPeople": 1, "items:st.searchPeople": limit}


def test_a_search_is_predicted_from_its_limit_once_a_few_sizes_were_timed() -> None:
    history = [(_search(limit), 10 + 1.5 * limit + wobble) for limit, wobble in ((5, 0.5), (25, -0.5), (100, 0.3))]
    big = predict(_search(200), history)
    small = predict(_search(5), history)
    assert big is not None
    assert small is not None
    assert big.mean == pytest.approx(310, rel=0.05)
    assert small.mean == pytest.approx(17.5, abs=2)  # not the median of the big ones
    assert big.spread < 0.1 * big.mean


def test_rates_learned_in_one_operation_inform_another_that_runs_the_same_actions() -> None:
    employees = "st.retrieveCompanyEmployees"
    history = [
        ({"n:st.openCompanyPage": 1}, 15.0),
        ({"n:st.openCompanyPage": 1}, 14.0),
        ({"n:st.openCompanyPage": 1, "n:" + employees: 1, "items:" + employees: 50}, 35.0),
        ({"n:st.openCompanyPage": 1, "n:" + employees: 1, "items:" + employees: 300}, 110.0),
    ]
    custom = predict({"n:st.openCompanyPage": 1, "n:" + employees: 1, "items:" + employees: 150}, history)
    assert custom is not None
    assert custom.mean == pytest.approx(65, rel=0.1)


def test_a_fresh_account_gets_a_vague_prediction_and_noisy_history_a_wider_spread() -> None:
    fresh = predict(_search(25), [])
    assert fresh is not None
    assert fresh.spread > 0.5 * fresh.mean
    steady = [(_search(limit), 10 + 1.5 * limit) for limit in (5, 25, 100, 5, 25, 100)]
    noisy = [(f, d + (6 if i % 2 else -6)) for i, (f, d) in enumerate(steady)]
    calm, rough = predict(_search(50), steady), predict(_search(50), noisy)
    assert calm is not None
    assert rough is not None
    assert rough.spread > 2 * calm.spread


def test_unknown_work_gives_no_prediction() -> None:
    assert predict({}, [(_search(5), 17.5)]) is None
    assert predict_row("fetchPerson", "{}", [("searchPeople", '{"limit":5}', 17.5)]) is None


def test_on_a_faster_clock_the_prediction_is_as_much_shorter() -> None:
    history = [("searchPeople", json.dumps({"term": "x", "limit": n}), (10 + 1.5 * n)) for n in (5, 25, 100)]
    real = predict_row("searchPeople", json.dumps({"term": "y", "limit": 50}), history)
    fast = predict_row(
        "searchPeople",
        json.dumps({"term": "y", "limit": 50}),
        [(op, args, d / 10) for op, args, d in history],
        clock_factor=10,
    )
    assert real is not None
    assert fast is not None
    assert (fast.mean, fast.spread) == pytest.approx((real.mean / 10, real.spread / 10))


def test_an_action_never_timed_adds_its_prior_and_the_priors_uncertainty() -> None:
    history = [(_search(limit), 10 + 1.5 * limit) for limit in (5, 25, 100)]
    known = predict(_search(50), history)
    more = predict({**_search(50), "n:st.openPersonPage": 1}, history)
    assert known is not None
    assert more is not None
    assert more.mean == pytest.approx(known.mean + 10, abs=0.01)
    assert more.spread > known.spread + 2
