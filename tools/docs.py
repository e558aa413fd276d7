"""Build the HTML documentation offline from the notebooks: `bash tools/docs.sh` writes `_docs/html/index.html`.

The tool is Sphinx with MyST-NB (both maintained on PyPI; Quarto, which nbdev's own `nbdev-docs` uses, needs a binary
download that this project's machines cannot make). The steps compose nbdev's and Jupyter's own pieces:
1. nbdev's `NBProcessor` with its `add_show_docs` processor reads each notebook, strips the `#|` directives and adds a
   `show_doc` cell after every exported definition that has none (the rule nbdev's own docs use);
2. the directives become MyST-NB cell tags (`#| hide`, `#| export`, `#| default_exp`: executed, not shown;
   `#| eval: false`: shown, not executed);
3. `nbclient` executes every notebook in `nbs/` (so relative paths work) in a Jupyter kernel, two at a time, so the
   pages carry the `show_doc` API tables and the tutorials carry their real outputs (training tables, plots);
4. `sphinx-build` renders the executed notebooks (and the architecture tables in `docs/`) with the Furo theme; any Sphinx warning
   (a broken cross-reference, a missing image) fails the build.
"""
import argparse, json, os, re, shutil, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbdev.process import NBProcessor
from nbdev.processors import add_show_docs

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT/'nbs'
OUT = ROOT/'_docs'
MARK = '.fasthf-docs'  # the build folders below hold this file: the tool only ever empties folders it wrote
SKIP = {'99_all.ipynb'}  # exports `fasthf.all` only: nothing to read
EXTRA = ['docs/architectures.md', 'docs/architectures-tokens.md', 'docs/benchmarks.md', 'docs/layout.md', 'docs/tasks.md', 'docs/training.md',
         'docs/reliability.md', 'docs/sweep.md', 'benchmarks/results/ratios.png']  # files the README links to, kept at the same paths

# Run first, hidden, in every notebook's kernel: fasthf imported once without import-time notices on the pages, and
# `show_doc` as nbdev's own docs import it, rendered with fastcore's
# parameter table (`DocmentTbl`: type, default, details per argument) under the signature, as on docs.fast.ai.
# nbdev's `---` rule before each entry is left out: docutils allows no rule inside a cell's output.
PRELUDE = '''\
import warnings
with warnings.catch_warnings():  # the import-time notices of torch.jit and of tqdm (no ipywidgets), once per kernel
    warnings.simplefilter('ignore')
    import fasthf.all
import nbdev.showdoc
from nbdev.showdoc import show_doc
from fastcore.docments import DocmentTbl
class TableRenderer(nbdev.showdoc.BasicMarkdownRenderer):
    def _repr_markdown_(self):
        md = super()._repr_markdown_().removeprefix('---\\n\\n')
        try: tbl = DocmentTbl(self.sym)._repr_markdown_()
        except Exception: tbl = ''
        return md + ('\\n\\n' + tbl if tbl else '')
nbdev.showdoc.BasicMarkdownRenderer = TableRenderer
'''

CONF = '''\
# Written by tools/docs.py: edit that file, not this one.
project = 'fasthf'
html_title = 'fasthf'
extensions = ['myst_nb']
master_doc = 'index'
html_theme = 'furo'
nb_execution_mode = 'off'  # tools/docs.py has executed every notebook already
nb_merge_streams = True
nb_render_markdown_format = 'myst'  # show_doc's markdown: its parameter tables and {target=...} link attributes
myst_enable_extensions = ['attrs_inline']
myst_heading_anchors = 3
exclude_patterns = ['_build', '**.ipynb_checkpoints', '%s']
''' % MARK

def _owned(d):
    "Empty the build folder `d`, refusing if it exists and was not written by this tool"
    if d.exists():
        if not (d/MARK).exists():
            sys.exit(f"tools/docs.py: {d} exists and was not written by this tool; move it away or pass another --out")
        shutil.rmtree(d)
    d.mkdir(parents=True)
    (d/MARK).write_text('written by tools/docs.py\n')

def _tags(directives):
    "MyST-NB cell tags for nbdev directives"
    d = set(directives)
    if d & {'hide', 'export', 'exporti', 'default_exp'}: return ['remove-cell']
    if str(directives.get('eval', '')).strip() == 'false': return ['skip-execution']
    if str(directives.get('echo', '')).strip() == 'false': return ['remove-input']
    return []

def process(path):
    "The notebook at `path` as an nbformat notebook for the docs: directives stripped, show_doc cells added, tags set"
    proc = NBProcessor(path, procs=[add_show_docs], rm_directives=True)
    proc.process()
    cells = []
    for c in proc.nb.cells:
        src = c.source if isinstance(c.source, str) else ''.join(c.source)
        if c.cell_type == 'markdown':  # a link into the built site (the README's) is a link within it
            cells.append(nbformat.v4.new_markdown_cell(re.sub(r'\]\(_docs/html/([^)#]+)\.html', r'](\1.ipynb', src))); continue
        if c.cell_type != 'code': continue
        cell = nbformat.v4.new_code_cell(src)
        tags = _tags(getattr(c, 'directives_', {}) or {})
        if getattr(c, 'has_sd', False): tags = ['remove-input']  # an added show_doc: its table, not its call
        if tags: cell.metadata['tags'] = tags
        cells.append(cell)
    first = nbformat.v4.new_code_cell(PRELUDE)
    first.metadata['tags'] = ['remove-cell']
    nb = nbformat.v4.new_notebook(cells=[first] + cells)
    nb.metadata['kernelspec'] = {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}
    nb.metadata['language_info'] = {'name': 'python'}
    return nb

def execute(nb, name, timeout):
    "Execute `nb` in `nbs/` in a fresh Jupyter kernel; raise naming the notebook and the cell on an error"
    t = time.time()
    NotebookClient(nb, timeout=timeout, kernel_name='python3', resources={'metadata': {'path': str(NBS)}}).execute()
    print(f'  executed {name} in {time.time()-t:.0f} s', flush=True)
    return nb

def toc(pages):
    "The root page's table of contents: module pages, then tutorials, then the architecture tables, benchmarks and layout"
    mods = [p for p in pages if not p.startswith('2')]
    tuts = [p for p in pages if p.startswith('2')]
    block = lambda cap, ps: '```{toctree}\n:caption: ' + cap + '\n:maxdepth: 1\n\n' + '\n'.join(ps) + '\n```\n'
    return block('Modules', mods) + '\n' + block('Tutorials', tuts) + '\n' + block('Reference', ['docs/tasks', 'docs/training', 'docs/reliability', 'docs/sweep', 'docs/architectures', 'docs/architectures-tokens', 'docs/benchmarks', 'docs/layout'])

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', default=str(OUT), help='build folder (default _docs/): src/ holds the executed notebooks, html/ the site')
    p.add_argument('--only', nargs='*', help='notebook names to build (default: all); for a quick look at one page')
    p.add_argument('--workers', type=int, default=2, help='notebooks executed at once')
    p.add_argument('--timeout', type=int, default=1800, help='seconds a cell may run')
    a = p.parse_args(argv)
    out = Path(a.out); src, html = out/'src', out/'html'
    out.mkdir(parents=True, exist_ok=True)
    _owned(src); _owned(html)
    paths = [q for q in sorted(NBS.glob('*.ipynb')) if q.name not in SKIP and (not a.only or q.stem in a.only or q.name in a.only)]
    if not any(q.stem == 'index' for q in paths): paths.insert(0, NBS/'index.ipynb')
    # each kernel gets its share of the cores as torch threads (kernels inherit this environment): two kernels with all
    # cores each oversubscribe them (on 2 cores a MiniLM step ran 1.7x slower than with one thread per kernel)
    os.environ.setdefault('OMP_NUM_THREADS', str(max(1, (os.cpu_count() or 1) // a.workers)))
    t0 = time.time()
    print(f'executing {len(paths)} notebooks, {a.workers} at a time, {os.environ["OMP_NUM_THREADS"]} torch threads each', flush=True)
    with ThreadPoolExecutor(a.workers) as ex:  # tutorials (minutes each) first, so that the short pages fill the gaps
        futs = {q: ex.submit(execute, process(q), q.name, a.timeout) for q in sorted(paths, key=lambda q: not q.name.startswith('2'))}
        nbs = {q: futs[q].result() for q in paths}
    pages = [q.stem for q in paths if q.stem != 'index']
    for q, nb in nbs.items():
        if q.stem == 'index': nb.cells.append(nbformat.v4.new_markdown_cell(toc(pages)))
        nbformat.write(nb, src/q.name)
    for e in EXTRA:
        (src/e).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT/e, src/e)
    (src/'conf.py').write_text(CONF)
    print(f'executed in {time.time()-t0:.0f} s; rendering', flush=True)
    r = subprocess.run([sys.executable, '-m', 'sphinx', '-b', 'html', '-q', '-W', '--keep-going', '-j', str(a.workers),
                        str(src), str(html)])
    if r.returncode: sys.exit(f'tools/docs.py: sphinx-build failed (exit {r.returncode}); its warnings are above')
    print(f'docs: {html/"index.html"} ({len(pages)+1} pages, {time.time()-t0:.0f} s)')

if __name__ == '__main__': main()
