"Write README.md from nbs/index.ipynb (nbdev 3 renders READMEs with Quarto, which cannot be installed here)."
import json, pathlib
root = pathlib.Path(__file__).resolve().parent.parent
nb = json.loads((root/'nbs'/'index.ipynb').read_text())
out = []
for c in nb['cells']:
    src = ''.join(c['source']).strip()
    if not src or src.startswith('#| hide'): continue
    if c['cell_type'] == 'markdown': out.append(src)
    else: out.append('```python\n' + '\n'.join(l for l in src.split('\n') if not l.startswith('#|')) + '\n```')
(root/'README.md').write_text('<!-- generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook -->\n\n' + '\n\n'.join(out) + '\n')
