"Run in a fresh process: load exported learners and write their probabilities, for tests/test_roundtrip.py"
import sys, json, warnings
from fastai.learner import load_learner
warnings.filterwarnings('ignore')
cases = json.load(open(sys.argv[1]))
out = {}
for name, c in cases.items():
    learn = load_learner(c['pkl'])
    items = [tuple(o) if isinstance(o, list) else o for o in c['items']]
    p, _ = learn.get_preds(dl=learn.test_dl(items))
    out[name] = p.tolist()
    out[name + '/predict'] = learn.predict(items[0])[2].tolist()
json.dump(out, open(sys.argv[2], 'w'))
