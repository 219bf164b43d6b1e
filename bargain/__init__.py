"""bargain: game-theoretic bargaining models from scenario files.

The public API is small: load a scenario, solve it, or call one solution
concept on a :class:`BargainingProblem`.

>>> import bargain
>>> pie = bargain.load("scenarios/textbook/unit_pie.toml")
>>> report = bargain.solve(pie)
>>> round(report.solutions["nash"].deal["x"], 6)
0.5
"""

from ._version import __version__
from .bilateral_trade import double_auction, double_auction_payoff, myerson_satterthwaite
from .calibrate import Calibration, calibrate, weighted_quantile
from .decompose import Decomposition, decompose
from .demand_game import demand_game, smoothed_demand_game
from .egalitarian import egalitarian_solution
from .errors import BargainError, FormulaError, ScenarioError
from .explain import explain
from .frontier import Frontier, FrontierSample, pareto_frontier, zone_of_agreement
from .kalai_smorodinsky import kalai_smorodinsky_solution
from .nash import nash_solution
from .posture_game import posture_game
from .problem import BargainingProblem
from .reputation import reputation_problem_solution, reputation_solution, war_of_attrition
from .result import STATUSES, Solution
from .rubinstein import rubinstein_solution
from .scenario import Scenario, load, loads
from .screening import screening_solution, screening_uniform
from .solve import Report, solve
from .statics import Statics, nash_statics, rubinstein_statics
from .tree import render_path, solve_tree
from .utilitarian import utilitarian_solution

__all__ = [
    "__version__",
    "BargainError",
    "BargainingProblem",
    "Calibration",
    "Decomposition",
    "FormulaError",
    "Frontier",
    "FrontierSample",
    "Report",
    "STATUSES",
    "Scenario",
    "ScenarioError",
    "Solution",
    "Statics",
    "calibrate",
    "weighted_quantile",
    "decompose",
    "demand_game",
    "explain",
    "nash_statics",
    "posture_game",
    "render_path",
    "rubinstein_solution",
    "rubinstein_statics",
    "smoothed_demand_game",
    "solve_tree",
    "egalitarian_solution",
    "kalai_smorodinsky_solution",
    "load",
    "loads",
    "nash_solution",
    "pareto_frontier",
    "solve",
    "utilitarian_solution",
    "double_auction",
    "double_auction_payoff",
    "myerson_satterthwaite",
    "reputation_problem_solution",
    "reputation_solution",
    "screening_solution",
    "screening_uniform",
    "war_of_attrition",
    "zone_of_agreement",
]
