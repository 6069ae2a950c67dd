/** The inline style sheet and script of the HTML report (no external asset: the page works offline and from a CI artefact). */

/** The report's CSS. */
export const reportCss = `
:root{--fg:#1b1f24;--muted:#5b6470;--line:#d0d7de;--bg:#fff;--pass:#1a7f37;--fail:#cf222e;--warn:#9a6700;--ne:#6e7781}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1400px;padding:16px 24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:24px 0 8px}h4{margin:14px 0 6px}
.meta{color:var(--muted)}.filters{position:sticky;top:0;background:#f6f8fa;border:1px solid var(--line);border-radius:6px;padding:8px 12px;display:flex;gap:16px;flex-wrap:wrap;align-items:center;z-index:2}
.filters label{font-weight:600}.filters select{margin-left:6px}
table.matrix{border-collapse:collapse;width:100%}table.matrix th,table.matrix td{border:1px solid var(--line);padding:6px 8px;vertical-align:top;text-align:left}
table.matrix thead th{background:#f6f8fa}.sub,.counts,.source{color:var(--muted);font-size:12px;font-weight:normal}.req-text{font-weight:normal}
.req-id{font-family:ui-monospace,monospace;font-weight:700}.lvl{font-size:11px;border:1px solid var(--line);border-radius:3px;padding:0 4px}
.badge{display:inline-block;font-size:12px;font-weight:700;border-radius:10px;padding:1px 8px;color:#fff}
.v-pass{background:var(--pass)}.v-fail{background:var(--fail)}.v-non-strict{background:var(--warn)}.v-not-exercised{background:var(--ne)}
a.to-failure{text-decoration:none;color:inherit}a.to-failure:hover{text-decoration:underline}
.problems{color:var(--fail)}.notes{color:var(--muted)}.never{font-size:12px;color:var(--warn)}
.badge.inconclusive{background:var(--warn)}.subject-server{font-size:11px;border:1px solid var(--line);border-radius:3px;padding:0 4px;background:#eef}.server-heading th{background:#f6f8fa;font-weight:600;text-align:left}
details.failure{border:1px solid var(--line);border-radius:6px;margin:10px 0;background:#fff;scroll-margin-top:64px}details.failure>summary{cursor:pointer;padding:8px 12px;background:#f6f8fa}
details.failure.selected{outline:3px solid #0969da}.failure-body{padding:4px 14px 14px}
.evidence{background:#fff8f8;border-left:4px solid var(--fail);padding:6px 10px}
code.replay{background:#f6f8fa;border:1px solid var(--line);padding:2px 6px;border-radius:4px;user-select:all}
pre.faults{background:#f6f8fa;border:1px solid var(--line);padding:8px;max-height:16em;overflow:auto;font-size:12px}
.tl-row>*{grid-row:1}.tl-head{position:sticky;top:0;background:#f6f8fa;font-weight:700;border-bottom:1px solid var(--line)}
.tl-lane-name{text-align:center}.tl-t,.tl-seq{color:var(--muted);font-family:ui-monospace,monospace;padding-left:6px}
.tl-lane{align-self:stretch;background:linear-gradient(#c4cbd3,#c4cbd3) center/2px 100% no-repeat}
.tl-arrow{position:relative;height:22px;border-bottom:2px solid currentColor}
.tl-arrow::after{content:"";position:absolute;bottom:-6px;border:5px solid transparent}
.tl-arrow.right::after{right:-2px;border-left:9px solid currentColor}.tl-arrow.left::after{left:-2px;border-right:9px solid currentColor}
.tl-label{position:relative;display:block;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;padding:0 6px;color:var(--fg)}
.tl-arrow .tl-label{text-align:center}
.tl-dot .tl-label{border-left:6px solid currentColor;background:#fff;border-radius:2px}
.tl-dot.end .tl-label{border-left:0;border-right:6px solid currentColor;text-align:right}
.k-request{color:#0969da}.k-response{color:#1a7f37}.k-frame{color:#8250df}.k-drop{color:#cf222e}.k-fault{color:#bc4c00}.k-state{color:#0550ae}.k-action{color:#116329}.k-error{color:#cf222e}.k-info{color:#6e7781}
.k-drop .tl-label,.k-fault .tl-label{font-weight:600}
.tl-row.violation .tl-dot:not(.end) .tl-label{margin-right:6em}.tl-row.violation{background:#ffebe9;outline:2px solid var(--fail);z-index:1}.tl-row.violation .tl-label{font-weight:700;white-space:normal;word-break:break-all;background:#ffebe9}
.tl-flag{grid-column:-2/-1;justify-self:end;background:var(--fail);color:#fff;font-weight:700;padding:0 6px;border-radius:3px;margin-right:4px;position:relative}
.tl-omitted{color:var(--muted);font-style:italic;padding:2px 8px}
.hidden{display:none!important}.empty{color:var(--muted);font-style:italic}
.timeline{border:1px solid var(--line);border-radius:6px;overflow:auto;font-size:12px;max-height:max(320px,calc(100vh - 340px));position:relative}
.timeline .tl-head{z-index:5}
.tl-row{display:grid;min-height:24px;height:24px;align-items:center;border-bottom:1px solid #f0f2f4;min-width:760px}
.tl-canvas{position:relative;min-width:760px}.tl-canvas>.tl-row{position:absolute;left:0;right:0}
.tl-t{white-space:nowrap}.tl-row.folded .tl-label{font-style:italic;color:var(--muted)}
.tl-arrow.lost{border-bottom-style:dashed}.tl-arrow.lost.right::after{content:"✕";border:0;right:-8px;bottom:-9px;font-weight:700;color:var(--fail)}.tl-arrow.lost.left::after{content:"✕";border:0;left:-8px;bottom:-9px;font-weight:700;color:var(--fail)}
.tl-gap{position:absolute;left:0;right:0;height:20px;line-height:20px;text-align:center;color:var(--muted);font-style:italic;background:repeating-linear-gradient(135deg,#f6f8fa 0 6px,#fff 6px 12px);border-top:1px dashed var(--line);border-bottom:1px dashed var(--line)}
.tl-bar{position:absolute;width:5px;border-radius:2px;opacity:.55;z-index:0}.tl-bar.open{border-bottom:2px dotted #000}
.b-request{background:#0969da}.b-socket{background:#8250df}
.tl-mark-bar{position:absolute;width:6px;background:var(--fail);border-radius:2px;z-index:3}.tl-mark-bar span{position:absolute;left:9px;top:0;white-space:nowrap;color:var(--fail);font-weight:700;background:#fffc;padding:0 3px}
.tl-mark-span{position:absolute;width:0;border-left:2px dashed var(--fail);z-index:3}
.tl-deadline{position:absolute;left:10em;right:0;border-top:2px dashed var(--fail);z-index:3;height:0}.tl-deadline span{position:absolute;right:4px;top:-17px;color:#fff;background:var(--fail);font-weight:700;padding:0 6px;border-radius:3px;white-space:nowrap}
.tl-legend{color:var(--muted);font-size:12px;margin:4px 0}.lg{display:inline-block;width:10px;height:10px;border-radius:2px;vertical-align:middle}.lg.mark{background:var(--fail)}
.chips{display:flex;flex-wrap:wrap;gap:6px;align-items:center;margin:6px 0}.chip{border:1px solid var(--line);background:#fff;border-radius:12px;padding:1px 10px;font:inherit;font-size:12px;cursor:pointer}
.chip b{margin-right:3px}.chip.c-fail{border-color:var(--fail);color:var(--fail)}.chip.c-non-strict{border-color:var(--warn);color:var(--warn)}.chip.c-inconclusive{border-color:var(--warn);color:var(--warn);border-style:dashed}.chip.c-pass{border-color:var(--pass);color:var(--pass)}.chip.c-ne{color:var(--ne)}.chip.zero{opacity:.45}.chip.active{outline:2px solid #0969da}
.client-line{font-size:13px}.client-line .who{font-weight:600;margin-right:6px}.dur{color:var(--muted);font-size:12px;font-variant-numeric:tabular-nums}
.headline{font-size:16px;font-weight:700;margin:6px 0}.headline.overall-fail{color:var(--fail)}.headline.overall-inconclusive{color:var(--warn)}.headline.overall-pass{color:var(--pass)}
#search{min-width:22em;padding:3px 6px;font:inherit}
.snap-diff{font-family:ui-monospace,monospace;font-size:12px;border:1px solid var(--line);border-radius:6px;padding:6px 10px;background:#f6f8fa;max-height:14em;overflow:auto}.snap-diff .add{color:var(--pass)}.snap-diff .del{color:var(--fail)}.snap-diff .chg{color:#0550ae}
.marks-list{margin:4px 0 0 0;padding-left:18px}.runs-table{border-collapse:collapse;font-size:12px}.runs-table td,.runs-table th{border-bottom:1px solid var(--line);padding:2px 8px;text-align:left}.runs-table .dur{text-align:right}
.failure-body>.evidence{margin-top:6px}
`;

// Arrows start and end in the middle of their lanes: the arrow spans whole columns, so it is
// inset by half a column on each side at load time. Opening a failure scrolls its timeline
// (not the page) so that the violating row is in view.
/** The report's script: filters, search, chips, and opening a failure at its violating row. */
export const reportJs = `
(function(){
  var $=function(s,r){return Array.prototype.slice.call((r||document).querySelectorAll(s));};
  var verdictChip='';
  function inset(){ $('.tl-arrow').forEach(function(a){ var row=a.parentElement; var lane=row.querySelector('.tl-lane'); if(!lane) return; var w=lane.getBoundingClientRect().width/2; a.style.marginLeft=w+'px'; a.style.marginRight=w+'px'; }); }
  function apply(){
    var p=document.getElementById('f-protocol').value, q=document.getElementById('f-requirement').value, v=document.getElementById('f-verdict').value||verdictChip;
    var s=document.getElementById('search').value.trim().toLowerCase();
    var hit=function(el){ return !s || (el.dataset.search||'').indexOf(s)>=0; };
    $('tr[data-requirement]').forEach(function(tr){
      var ok=(!p||tr.dataset.protocol===p)&&(!q||tr.dataset.requirement===q)&&(!v||tr.dataset.verdicts.split(' ').indexOf(v)>=0)&&hit(tr);
      tr.classList.toggle('hidden',!ok);
    });
    $('section.protocol').forEach(function(x){ x.classList.toggle('hidden', (p&&x.dataset.protocol!==p) || x.querySelectorAll('tr[data-requirement]:not(.hidden)').length===0); });
    $('tr[data-scenario]').forEach(function(tr){ tr.classList.toggle('hidden', (p&&tr.dataset.protocol!==p) || !hit(tr)); });
    var shown=0;
    $('details.failure').forEach(function(d){
      var ok=(!p||d.dataset.protocol===p)&&(!q||d.dataset.requirement===q)&&(!v||d.dataset.verdict===v)&&hit(d);
      d.classList.toggle('hidden',!ok); if(ok) shown++;
    });
    document.getElementById('failures-empty').classList.toggle('hidden', shown>0);
    document.getElementById('shown-count').textContent=String(shown);
  }
  function toViolation(d){
    var tl=d.querySelector('.timeline'), row=d.querySelector('.tl-row.violation'); if(!tl||!row) return;
    var head=tl.querySelector('.tl-head'); var hh=head?head.getBoundingClientRect().height:0;
    tl.scrollTop=Math.max(0,row.offsetTop+(row.offsetParent===tl?0:row.offsetParent.offsetTop)-hh-(tl.clientHeight-hh)/3);
    var r=row.getBoundingClientRect();
    if(r.top<0||r.bottom>window.innerHeight){ row.scrollIntoView({block:'center'}); }
  }
  function open(hash){
    var d=hash&&document.getElementById(hash.slice(1)); if(!d||!d.classList.contains('failure')) return;
    $('details.failure.selected').forEach(function(x){x.classList.remove('selected');});
    d.open=true; d.classList.add('selected'); inset();
    d.scrollIntoView({block:'start'}); toViolation(d);
  }
  ['f-protocol','f-requirement','f-verdict'].forEach(function(id){ document.getElementById(id).addEventListener('change',apply); });
  document.getElementById('search').addEventListener('input',apply);
  $('button.chip[data-verdict]').forEach(function(b){ b.addEventListener('click',function(){
    var v=b.dataset.verdict; verdictChip=(verdictChip===v?'':v);
    $('button.chip').forEach(function(x){ x.classList.toggle('active', !!verdictChip && x.dataset.verdict===verdictChip); });
    apply();
  }); });
  $('a.to-failure').forEach(function(a){ a.addEventListener('click',function(e){ e.preventDefault(); history.replaceState(null,'',a.getAttribute('href')); open(a.getAttribute('href')); }); });
  $('details.failure').forEach(function(d){ d.addEventListener('toggle',function(){ inset(); if(d.open) toViolation(d); }); });
  window.addEventListener('resize',inset);
  apply(); inset(); open(location.hash);
})();
`;
