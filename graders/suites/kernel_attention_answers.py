# TEMPORARY during development: replaced by graders.symbolic judges before commit
from ..checks import answer
from ..model import Verdict
_j = lambda v: Verdict.manual("pending")
ANSWER_CHECKS = {"gaussian_decomposition": [answer("sigma", 1.5, ("gaussian_decomposition","sigma_sq"), _j), answer("q", 1.25, ("gaussian_decomposition","query_factor"), _j), answer("k", 1.25, ("gaussian_decomposition","key_factor"), _j)],
 "attention_cost": [answer("a", 3, ("attention_cost",), _j)], "causal_cost": [answer("c", 3, ("causal_cost",), _j)]}
