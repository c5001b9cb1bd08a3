// The convarith player. Every window, every name and every frame comes from the data that
// Python embedded (the shape engine's own); this script only looks them up and shows them.
(function (uid) {
  var root = document.getElementById(uid);
  var data = JSON.parse(root.querySelector('script.data').textContent);
  var moving = root.querySelector('.moving');
  var scrub = root.querySelector('.scrub');
  var label = root.querySelector('.label');
  var play = root.querySelector('.play');
  var windowText = root.querySelector('.window');
  var hoverText = root.querySelector('.hover');
  var hit = root.querySelectorAll('.hit polygon');
  var kept = root.querySelectorAll('[data-kept]');
  var n = data.steps.length, frame = 0, timer = null, marked = [];
  var frameOf = {}, feeds = {};  // output cell -> its frame; input cell -> the outputs whose windows hold it
  data.steps.forEach(function (step, k) {
    frameOf[step.writes] = k;
    step.reads.forEach(function (i) { (feeds[i] = feeds[i] || []).push(step.writes); });
  });

  function show(k) {
    frame = ((k % n) + n) % n;
    moving.innerHTML = data.frames[frame];
    for (var i = 0; i < kept.length; i++) {
      kept[i].style.display = (+kept[i].getAttribute('data-kept') <= frame) ? '' : 'none';
    }
    scrub.value = frame;
    label.textContent = 'frame ' + (frame + 1) + ' of ' + n + ': ' + data.names[data.steps[frame].writes];
    windowText.textContent = data.windows ? data.windows[frame] : '';
    root.setAttribute('data-frame', frame);
  }
  var hint = hoverText.textContent;
  function unmark() {
    marked.forEach(function (e) { e.classList.remove('win', 'fed', 'pointed'); });
    marked = [];
    moving.classList.remove('dim');
    hoverText.textContent = hint;
  }
  function units(cells) {  // how many of the cells hold input values (the rest: padding, zeros)
    return cells.filter(function (j) { return hit[j].getAttribute('data-unit') === '1'; }).length;
  }
  function mark(i, cls) { hit[i].classList.add(cls); marked.push(hit[i]); }
  function point(i) {
    unmark();
    mark(i, 'pointed');
    if (i in frameOf) {
      stop();
      show(frameOf[i]);
      var reads = data.steps[frameOf[i]].reads, inputs = units(reads);
      reads.forEach(function (j) { mark(j, 'win'); });
      hoverText.textContent = data.names[i] + ': its window covers the ' + reads.length + ' cells in red, ' +
        inputs + ' of them input' + (inputs === reads.length ? '' : ' and ' + (reads.length - inputs) +
        ' padding or inserted zeros');
    } else {
      var outs = feeds[i] || [];
      moving.classList.add('dim');  // the current frame's window would read as this cell's
      outs.forEach(function (j) { mark(j, 'fed'); });
      hoverText.textContent = data.names[i] + (outs.length
        ? ' feeds the ' + outs.length + ' output cell' + (outs.length > 1 ? 's' : '') + ' in red'
        : ' feeds no output');
    }
  }
  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    play.innerHTML = '&#9654;';
    play.setAttribute('aria-label', 'play');
  }
  function start() {
    stop();
    timer = setInterval(function () { show(frame + 1); }, data.duration);
    play.innerHTML = '&#10074;&#10074;';
    play.setAttribute('aria-label', 'pause');
  }
  play.addEventListener('click', function () { if (timer === null) { start(); } else { stop(); } });
  scrub.addEventListener('input', function () { stop(); show(+scrub.value); });
  for (var i = 0; i < hit.length; i++) {
    hit[i].addEventListener('mouseenter', function (e) { point(+e.target.getAttribute('data-i')); });
    hit[i].addEventListener('click', function (e) { point(+e.target.getAttribute('data-i')); });
    hit[i].addEventListener('mouseleave', unmark);
  }
  function key(e) {
    if (e.target === scrub || e.target === play) { return; }  // they handle their own keys
    var k = e.key;
    if (k === 'ArrowRight') { stop(); show(frame + 1); }
    else if (k === 'ArrowLeft') { stop(); show(frame - 1); }
    else if (k === 'Home') { stop(); show(0); }
    else if (k === 'End') { stop(); show(n - 1); }
    else if (k === ' ' || k === 'Spacebar') { if (timer === null) { start(); } else { stop(); } }
    else { return; }
    e.preventDefault();
  }
  (data.keysOnDocument ? document : root).addEventListener('keydown', key);
  show(0);
})
