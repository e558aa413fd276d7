"""The rendered documentation (`bash tools/docs.sh`) opened in a real headless browser, Debian's Chromium driven by
Selenium: every page shows its title, prose and code, each module page shows an API entry (heading, signature,
parameter table) for every exported name, tutorials carry their executed outputs, and no internal link, anchor or
image is broken. Screenshots of three pages are left in `_docs/screenshots/`."""
import functools, http.server, json, os, re, shutil, subprocess, sys, threading
from pathlib import Path
from urllib.parse import urldefrag

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT/'_docs'
HTML = DOCS/'html'
NBS = ROOT/'nbs'
sys.path.insert(0, str(ROOT/'tools'))
import docs as docs_tool  # tools/docs.py: the build and its notebook processing

BROWSER = shutil.which('chromium') or '/usr/bin/chromium'
DRIVER = shutil.which('chromedriver') or '/usr/bin/chromedriver'
UTILITY = {'genindex', 'search'}  # Sphinx's own pages: link targets, no content of ours

def _stale():
    "Is the built site missing or older than a notebook, a linked file or the build tool?"
    idx = HTML/'index.html'
    if not idx.exists(): return True
    srcs = list(NBS.glob('*.ipynb')) + [ROOT/e for e in docs_tool.EXTRA] + [ROOT/'tools'/'docs.py']
    return max(p.stat().st_mtime for p in srcs) > idx.stat().st_mtime

@pytest.fixture(scope='module')
def site():
    "The built site served on localhost (built first if missing or stale)"
    if _stale():
        r = subprocess.run(['bash', str(ROOT/'tools'/'docs.sh')], cwd=ROOT)
        assert r.returncode == 0, 'tools/docs.sh failed: its output is above'
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args): pass
    handler = functools.partial(Quiet, directory=str(HTML))
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{srv.server_address[1]}/'
    srv.shutdown()

@pytest.fixture(scope='module')
def browser():
    missing = [p for p in (BROWSER, DRIVER) if not os.path.exists(p)]
    assert not missing, (f'{missing} not found: install Debian\'s browser for this test with '
                         '`apt-get install chromium chromium-driver` (tools/test.sh does when run as root)')
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = BROWSER
    for a in ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-sync',
              '--disable-background-networking', '--disable-component-update', '--window-size=1300,1800']:
        opts.add_argument(a)
    d = webdriver.Chrome(options=opts, service=Service(executable_path=DRIVER))
    yield d
    d.quit()

PAGE_JS = """
const vis = e => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length);
const q = s => [...document.querySelectorAll(s)];
return {
  h1: q('article h1').filter(vis).map(e => e.textContent.replace('#', '').trim()),
  paras: q('article p').filter(vis).length,
  code: q('article div.highlight pre').filter(vis).length,
  outputs: q('article div.cell_output').filter(vis).length,
  tables: q('article table').filter(vis).length,
  ids: q('[id]').map(e => e.id),
  links: q('a[href]').map(a => a.href),
  heads: q('article h1, article h2, article h3, article h4, article p.rubric').map(e => e.textContent.replace('#', '').trim()),
  broken_imgs: q('img').filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src),
};
"""

def _expected_api(nb):
    """Names whose API entry a module page shows: every exported public definition (nbdev's add_show_docs rule), but
    fastai's `@dispatch` implementations (`show_batch` for `HFTextInput`...), for which nbdev's `show_doc` renders nothing"""
    shown = re.findall(r"^show_doc\((.+?)\)\s*$", '\n'.join(c.source for c in docs_tool.process(nb).cells if c.cell_type == 'code'), re.M)
    dispatched = set(re.findall(r"@(?:type)?dispatch\s*\ndef (\w+)", '\n'.join(''.join(c['source']) for c in json.loads(Path(nb).read_text())['cells'])))
    return [n for n in shown if n not in dispatched]

def test_docs_render_in_chromium(site, browser):
    pages = sorted(p.stem for p in HTML.glob('*.html'))
    notebooks = sorted(p.stem for p in NBS.glob('*.ipynb') if p.name not in docs_tool.SKIP)
    assert set(notebooks) <= set(pages), f'pages missing for {set(notebooks) - set(pages)}'
    seen, problems = {}, []
    extra = [e.rsplit('.', 1)[0] for e in docs_tool.EXTRA if e.endswith('.md')]
    for name in pages + extra:
        if name in UTILITY: continue
        browser.get(site + name + '.html')
        r = seen[name] = browser.execute_script(PAGE_JS)
        say = lambda m: problems.append(f'{name}: {m}')
        if not r['h1']: say('no visible title (h1)')
        if r['paras'] < 1: say('no visible prose')
        if name in notebooks and r['code'] < 1: say('no visible code cell')
        if r['broken_imgs']: say(f'images that did not load: {r["broken_imgs"]}')
        if name.startswith('2') and r['outputs'] < 3: say(f'a tutorial with {r["outputs"]} cell outputs: not executed?')
        if name in notebooks and name[0] in '01' or name.startswith('90'):
            api = _expected_api(NBS/f'{name}.ipynb')
            shown = set(r['heads'])
            gone = [n for n in api if n not in shown]
            if gone: say(f'API entries without a heading: {gone}')
            if api and r['tables'] < 1: say('API entries but no parameter table')
        if name in ('index', '00a_files', '20_tutorial_pairs'):
            (DOCS/'screenshots').mkdir(exist_ok=True)
            browser.save_screenshot(str(DOCS/'screenshots'/f'{name}.png'))
    # every internal link resolves to a page of the site, and every #anchor to an element of that page
    for name, r in seen.items():
        for href in r['links']:
            if not href.startswith(site): continue
            url, frag = urldefrag(href)
            target = url[len(site):] or 'index.html'
            if not target.endswith('.html'):
                if not (HTML/target).exists(): problems.append(f'{name}: link to missing file {target}')
                continue
            tname = target[:-5]
            if not (HTML/target).exists(): problems.append(f'{name}: link to missing page {target}'); continue
            if frag and tname not in UTILITY:
                if tname not in seen:
                    browser.get(site + target); seen[tname] = browser.execute_script(PAGE_JS)
                if frag not in seen[tname]['ids']: problems.append(f'{name}: link to missing anchor {target}#{frag}')
    assert not problems, '\n'.join(problems)
    index = seen['index']
    assert any('fasthf' in h for h in index['h1']) and index['code'] >= 3
    # the navigation reaches every notebook page from the entry point
    linked = {urldefrag(h)[0][len(site):] for h in index['links'] if h.startswith(site)}
    assert {f'{n}.html' for n in notebooks if n != 'index'} <= linked, 'pages the entry point does not link to'
