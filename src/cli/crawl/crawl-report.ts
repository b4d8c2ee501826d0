/**
 * `crawl --report FILE.html`: one self-contained page with no script to run: the peer graph as
 * an inline SVG, laid out here by d3-force's simulation (run to rest before the page is written),
 * then every peer's record in a table, and the JSON summary embedded for tools.
 *
 * Graph: a circle per point (dialled: coloured by how the dial ended; handed over but not
 * dialled: small and grey), an arrow from each peer to every point it advertised.
 */
import { forceCenter, forceCollide, forceLink, forceManyBody, forceSimulation, type SimulationLinkDatum, type SimulationNodeDatum } from 'd3-force';
import { escapeHtml, scriptSafe } from '../html-text.ts';
import { replaceFile } from '../replace-file.ts';
import { statusText, type CrawlSummary, type PeerJson } from './crawl-summary.ts';

interface GraphNode extends SimulationNodeDatum {
  readonly key: string;
  readonly peer: PeerJson | undefined;
  readonly reason: string | undefined;
}

type GraphLink = SimulationLinkDatum<GraphNode>;

const WIDTH = 960;
const HEIGHT = 640;
const MARGIN = 40;
/** Ticks of the simulation: d3's default decay brings it to rest in about 300. */
const TICKS = 300;

/** Colour of a dialled point by how its dial ended (the legend lists them). */
const COLOURS: Readonly<Record<string, string>> = {
  head: '#2ca02c',
  ok: '#1f77b4',
  nack: '#ff7f0e',
  timeout: '#9467bd',
  refused: '#7f7f7f',
  closed: '#8c564b',
  garbage: '#d62728',
  aborted: '#bcbd22',
  error: '#e377c2',
  not_dialled: '#d0d0d0',
};

function colourKey(node: GraphNode): string {
  const peer = node.peer;
  if (peer === undefined) return 'not_dialled';
  if (peer.failure !== null) return String(peer.failure['kind']);
  return peer.head === null ? 'ok' : 'head';
}

/** Positions for every node, fitted into the drawing area. */
export function layoutGraph(summary: CrawlSummary): { nodes: GraphNode[]; links: GraphLink[] } {
  const nodes: GraphNode[] = [
    ...summary.peers.map((peer) => ({ key: peer.point, peer, reason: undefined })),
    ...summary.not_dialled.map((s) => ({ key: s.point, peer: undefined, reason: s.reason })),
  ];
  const index = new Map(nodes.map((node, i) => [node.key, i]));
  const links: GraphLink[] = [];
  for (const peer of summary.peers) {
    for (const point of peer.advertised) {
      const target = index.get(point);
      if (target !== undefined && point !== peer.point) links.push({ source: index.get(peer.point)!, target });
    }
  }
  const simulation = forceSimulation(nodes)
    .force('link', forceLink<GraphNode, GraphLink>(links).distance(60))
    .force('charge', forceManyBody().strength(-120))
    .force('collide', forceCollide(14))
    .force('center', forceCenter(0, 0))
    .stop();
  simulation.tick(TICKS);
  const xs = nodes.map((n) => n.x ?? 0);
  const ys = nodes.map((n) => n.y ?? 0);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const scale = Math.min((WIDTH - 2 * MARGIN) / Math.max(1, maxX - minX), (HEIGHT - 2 * MARGIN) / Math.max(1, maxY - minY), 2);
  for (const node of nodes) {
    node.x = MARGIN + ((node.x ?? 0) - minX) * scale + (WIDTH - 2 * MARGIN - (maxX - minX) * scale) / 2;
    node.y = MARGIN + ((node.y ?? 0) - minY) * scale + (HEIGHT - 2 * MARGIN - (maxY - minY) * scale) / 2;
  }
  return { nodes, links };
}

function nodeTitle(node: GraphNode): string {
  const peer = node.peer;
  if (peer === undefined) return `${node.key}: not dialled (${node.reason ?? ''})`;
  const head = peer.head ? `, head ${peer.head.level} ${peer.head.hash}` : '';
  return `${peer.point} (depth ${peer.depth}): ${peer.peer_id ?? 'no peer id'}${head}, ${peer.advertised.length} advertised, ${statusText(peer)}`;
}

function graphSvg(summary: CrawlSummary): string {
  const { nodes, links } = layoutGraph(summary);
  const at = (end: GraphNode | string | number): GraphNode => (typeof end === 'object' ? end : nodes[Number(end)]!);
  const lines = links.map((link) => {
    const a = at(link.source);
    const b = at(link.target);
    // Stop the arrow at the target circle's edge.
    const dx = (b.x ?? 0) - (a.x ?? 0);
    const dy = (b.y ?? 0) - (a.y ?? 0);
    const length = Math.max(1, Math.hypot(dx, dy));
    const r = b.peer === undefined ? 5 : 9;
    const x2 = (b.x ?? 0) - (dx / length) * (r + 2);
    const y2 = (b.y ?? 0) - (dy / length) * (r + 2);
    return `<line x1="${(a.x ?? 0).toFixed(1)}" y1="${(a.y ?? 0).toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}" marker-end="url(#arrow)"/>`;
  });
  const circles = nodes.map((node) => {
    const r = node.peer === undefined ? 5 : 9;
    const label = node.peer === undefined ? '' : `<text x="${((node.x ?? 0) + 11).toFixed(1)}" y="${((node.y ?? 0) + 4).toFixed(1)}">${escapeHtml(node.key)}</text>`;
    return (
      `<g class="node" data-point="${escapeHtml(node.key)}" data-status="${colourKey(node)}">` +
      `<circle cx="${(node.x ?? 0).toFixed(1)}" cy="${(node.y ?? 0).toFixed(1)}" r="${r}" fill="${COLOURS[colourKey(node)] ?? '#000'}"><title>${escapeHtml(nodeTitle(node))}</title></circle>${label}</g>`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" id="graph" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="peer graph">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#999"/></marker></defs>
<g class="links" stroke="#bbb" stroke-width="1">${lines.join('')}</g>
<g class="nodes" font-size="10" fill="#333">${circles.join('\n')}</g>
</svg>`;
}

function legend(): string {
  const names: Readonly<Record<string, string>> = {
    head: 'answered, with a head',
    ok: 'answered, no head',
    nack: 'nack',
    timeout: 'timeout',
    refused: 'refused',
    closed: 'closed',
    garbage: 'garbage',
    aborted: 'aborted',
    error: 'other error',
    not_dialled: 'handed over, not dialled',
  };
  return Object.entries(names)
    .map(([key, name]) => `<span class="key"><svg width="12" height="12"><circle cx="6" cy="6" r="5" fill="${COLOURS[key]}"/></svg> ${escapeHtml(name)}</span>`)
    .join(' ');
}

function peerRows(summary: CrawlSummary): string {
  return summary.peers
    .map((p) => {
      const v = p.announced_version;
      const cells = [
        p.point,
        String(p.depth),
        p.via ?? '(seed)',
        p.peer_id ?? '',
        v ? `${String(v['chain_name'])} ddb ${String(v['distributed_db_version'])} p2p ${String(v['p2p_version'])}` : '',
        p.metadata ? `disable_mempool=${String(p.metadata['disable_mempool'])} private_node=${String(p.metadata['private_node'])}` : '',
        p.chain_id ?? '',
        p.head ? String(p.head.level) : '',
        p.head?.hash ?? '',
        p.advertised.join(' '),
        p.handshake_ms === null ? '' : p.handshake_ms.toFixed(1),
        statusText(p) + (p.failure ? `: ${String(p.failure['message'])}` : ''),
      ];
      return `<tr>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
    })
    .join('\n');
}

export function crawlReportHtml(summary: CrawlSummary, title: string): string {
  const overview = [
    `${summary.dialled} dialled`,
    `${summary.answered} answered`,
    `${summary.with_head} with a head`,
    `depth ${summary.max_depth}`,
    `${(summary.duration_ms / 1000).toFixed(1)} s`,
    `stopped: ${summary.stopped_by}`,
  ].join(' · ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
svg#graph { border: 1px solid #ddd; max-width: 100%; height: auto; }
.key { margin-right: 1em; white-space: nowrap; }
table { border-collapse: collapse; font-size: 12px; } th, td { text-align: left; padding: 2px 8px; border-bottom: 1px solid #ddd; vertical-align: top; }
td:nth-child(10) { max-width: 260px; word-break: break-all; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>${summary.ok ? 'ok' : 'FAILED: no peer answered'} · ${escapeHtml(overview)} · generated ${escapeHtml(new Date().toISOString())}</p>
<h2>Peer graph</h2>
<p>${legend()}</p>
${graphSvg(summary)}
<h2>Peers</h2>
<table>
<tr><th>point</th><th>depth</th><th>via</th><th>peer id</th><th>version</th><th>metadata</th><th>chain</th><th>head</th><th>head hash</th><th>advertised</th><th>handshake ms</th><th>status</th></tr>
${peerRows(summary)}
</table>
<script type="application/json" id="summary">${scriptSafe(JSON.stringify(summary))}</script>
</body>
</html>
`;
}

export async function writeCrawlReport(file: string, summary: CrawlSummary, title: string): Promise<void> {
  await replaceFile(file, crawlReportHtml(summary, title));
}
