import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { allCharts } from './charts';
import { ReportError } from './errors';
import { CSS, reportBody } from './html';
import { svgToPng, writeImages } from './images';
import { isRunDir, runVersion } from './load';
import { statusLine } from './model';
import { buildReport, type Report } from './report';
import { esc, type Chart } from './svg/svg';

export interface DashboardOptions {
  /** A folder of run folders (or one run folder). */
  root: string;
  /** 0 picks a free port. Default 8080. */
  port?: number;
  /** Default 127.0.0.1: the dashboard is for this machine. */
  host?: string;
  /** How often pages check for new evaluations (ms). Default 2000. */
  refreshMs?: number;
  /** Keep every run's charts written to <images>/<run>/ (SVG and PNG), refreshed as runs change. */
  images?: string;
  /** Problems that do not stop the server (an image that cannot be written). */
  onWarning?(message: string): void;
}

export interface Dashboard {
  url: string;
  port: number;
  close(): Promise<void>;
}

interface Run {
  name: string;
  dir: string;
}

interface Built {
  version: string;
  report?: Report;
  error?: string;
}

/** Run folders under root: root itself when it is a run, else its sub-folders that are runs, by name. */
function discover(root: string): Run[] {
  if (isRunDir(root)) return [{ name: path.basename(path.resolve(root)), dir: root }];
  let names: string[];
  try {
    names = fs.readdirSync(root).sort();
  } catch {
    return [];
  }
  return names.map((name) => ({ name, dir: path.join(root, name) })).filter((r) => fs.statSync(r.dir, { throwIfNoEntry: false })?.isDirectory() && isRunDir(r.dir));
}

const runUrl = (name: string) => `/run/${encodeURIComponent(name)}/`;

/** Polls /api/runs; when this page's run (or the list) changed, swaps in the new body: no reload, scroll kept. */
function liveScript(bodyUrl: string, run: string | null, version: string, refreshMs: number): string {
  return `(function(){
var run=${JSON.stringify(run)},version=${JSON.stringify(version)};
function mark(t){var e=document.getElementById('live');if(e)e.textContent=t;}
async function tick(){
  try{
    var runs=await (await fetch('/api/runs',{cache:'no-store'})).json();
    var now=run===null?JSON.stringify(runs.map(function(r){return [r.name,r.version];})):((runs.find(function(r){return r.name===run;})||{}).version||'');
    if(now!==version){
      var b=await fetch(${JSON.stringify(bodyUrl)},{cache:'no-store'});
      if(b.ok){document.getElementById('report').innerHTML=await b.text();version=now;}
    }
    mark('live: checked '+new Date().toLocaleTimeString());
  }catch(e){mark('live: the dashboard server does not answer');}
  setTimeout(tick,${refreshMs});
}
setTimeout(tick,${refreshMs});
})();`;
}

function page(title: string, body: string, script: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${CSS}
nav{display:flex;gap:14px;align-items:baseline;margin-bottom:12px}#live{color:#6b7480;font-size:12px}
.run{background:#fff;border:1px solid #d9dde2;border-radius:6px;padding:10px 14px;margin:10px 0}
.run svg{width:420px;height:auto}.run h2{border:0;margin:0 0 4px}</style><script>${script}</script></head>
<body><main id="report">${body}</main></body></html>
`;
}

/**
 * Serves the reports of every run under a folder on localhost. Pages poll for changes and
 * update in place while a search runs. It only reads run folders (journal, agents.json,
 * config.json); reports are rebuilt when a run's files change.
 */
export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const root = opts.root;
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new ReportError(`${root}: no such folder of runs`);
  const refreshMs = opts.refreshMs ?? 2000;
  const cache = new Map<string, Built>();

  const build = (run: Run): Built => {
    const version = runVersion(run.dir);
    const hit = cache.get(run.name);
    if (hit && hit.version === version) return hit;
    let built: Built;
    try {
      built = { version, report: buildReport(run.dir) };
    } catch (e) {
      built = { version, error: (e as Error).message.split('\n')[0] };
    }
    cache.set(run.name, built);
    if (opts.images && built.report) exportImages(run.name, built.report);
    return built;
  };

  // One export per run at a time; a change during an export is written when it ends (PNGs take seconds).
  const exporting = new Map<string, Report | undefined>();
  const exportImages = (name: string, report: Report) => {
    if (exporting.has(name)) {
      exporting.set(name, report);
      return;
    }
    exporting.set(name, undefined);
    writeImages(allCharts(report.charts), path.join(opts.images as string, name))
      .catch((e) => opts.onWarning?.((e as Error).message))
      .finally(() => {
        const next = exporting.get(name);
        exporting.delete(name);
        if (next) exportImages(name, next);
      });
  };

  const nav = (name?: string) => `<nav><a href="/">all runs</a>${name ? `<b>${esc(name)}</b>` : ''}<span id="live">live</span></nav>`;
  const chartLinks = (name: string) => (c: Chart) => `<a href="${runUrl(name)}chart/${encodeURIComponent(c.id)}.svg" download>SVG</a><a href="${runUrl(name)}chart/${encodeURIComponent(c.id)}.png" download>PNG</a>`;

  const indexBody = () => {
    const runs = discover(root);
    const items = runs.map((run) => {
      const b = build(run);
      if (!b.report) return `<div class="run"><h2><a href="${runUrl(run.name)}">${esc(run.name)}</a></h2><p class="notes">${esc(b.error ?? '')}</p></div>`;
      const m = b.report.model;
      const reward = b.report.charts.progress[0];
      return `<div class="run"><h2><a href="${runUrl(run.name)}">${esc(run.name)}</a></h2><p class="meta">${esc(statusLine(m))}${m.missing.length ? ` · ${esc(m.missing[0])}` : ''}</p>${reward.svg}</div>`;
    });
    return `${nav()}<h1>marl-hpo runs in ${esc(root)}</h1>${items.length ? items.join('') : `<p class="notes">No run folders in ${esc(root)} yet (a run folder holds config.json or journal.jsonl); this page updates when one appears.</p>`}`;
  };

  const runBody = (run: Run) => {
    const b = build(run);
    if (!b.report) return { version: b.version, html: `${nav(run.name)}<h1>${esc(run.name)}</h1><p class="notes">Cannot read this run: ${esc(b.error ?? '')}</p>` };
    return { version: b.version, html: reportBody(b.report.model, b.report.charts, { nav: nav(run.name), chartLinks: chartLinks(run.name) }) };
  };

  const send = (res: http.ServerResponse, status: number, type: string, body: string | Buffer) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  };
  const html = 'text/html; charset=utf-8';

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'read-only dashboard\n');
    const url = new URL(req.url ?? '/', 'http://localhost');
    let parts: string[];
    try {
      parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      return send(res, 400, 'text/plain', 'malformed URL (bad percent-encoding)\n');
    }
    if (parts.length === 0) {
      const runs = discover(root);
      const version = JSON.stringify(runs.map((r) => [r.name, runVersion(r.dir)]));
      return send(res, 200, html, page('marl-hpo runs', indexBody(), liveScript('/index-body', null, version, refreshMs)));
    }
    if (parts[0] === 'index-body' && parts.length === 1) return send(res, 200, html, indexBody());
    if (parts[0] === 'api' && parts[1] === 'runs' && parts.length === 2) {
      return send(res, 200, 'application/json', JSON.stringify(discover(root).map((r) => ({ name: r.name, version: runVersion(r.dir) }))));
    }
    if (parts[0] === 'favicon.ico') return send(res, 204, 'image/x-icon', '');
    const run = parts[0] === 'run' && parts.length >= 2 ? discover(root).find((r) => r.name === parts[1]) : undefined;
    if (!run) return send(res, 404, 'text/plain', 'no such page or run\n');
    if (parts.length === 2) {
      const { version, html: body } = runBody(run);
      return send(res, 200, html, page(`${run.name}: marl-hpo`, body, liveScript(`${runUrl(run.name)}body`, run.name, version, refreshMs)));
    }
    if (parts.length === 3 && parts[2] === 'body') return send(res, 200, html, runBody(run).html);
    const file = parts.length === 4 && parts[2] === 'chart' ? /^(.+)\.(svg|png)$/.exec(parts[3]) : null;
    const chart = file ? (() => { const r = build(run).report; return r ? allCharts(r.charts).find((c) => c.id === file[1]) : undefined; })() : undefined;
    if (!file || !chart) return send(res, 404, 'text/plain', 'no such chart\n');
    if (file[2] === 'svg') return send(res, 200, 'image/svg+xml', chart.svg);
    return send(res, 200, 'image/png', await svgToPng(chart.svg));
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => send(res, 500, 'text/plain', `${(e as Error).message}\n`));
  });
  const port = opts.port ?? 8080;
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new ReportError(`--port ${port}: already in use on ${host} (choose another port, or --port 0 for a free one)`));
      else if (e.code === 'EACCES') reject(new ReportError(`--port ${port}: not allowed to listen on ${host} (ports below 1024 need privileges)`));
      else reject(new ReportError(`--port ${port}: cannot listen on ${host} (${e.code ?? e.message})`));
    });
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as { port: number }).port;
  // With --images, keep the exported charts current even when no browser is looking.
  const timer = opts.images ? setInterval(() => discover(root).forEach(build), refreshMs) : undefined;
  timer?.unref();
  if (opts.images) discover(root).forEach(build);
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}/`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        if (timer) clearInterval(timer);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
