// `npm run bench [-- name ...]`: runs the benchmarks one after another (never in parallel:
// this machine has 2 shared cores) and prints each one's table. Results also land in
// .bench-out/*.json; docs/benchmarks.md records them with the command that produced them.
const ALL = ['identity-verify', 'identity-identify', 'identity-dominant', 'training', 'enhance', 'enhance-tone', 'poll', 'scale-training', 'identity-loop', 'screening', 'tone-stage', 'sr-mix', 'pets-detect', 'pets-reid', 'identity-repair-margin', 'pets-dominant', 'pets-detector-size'] as const;

async function run() {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = wanted.filter((w) => !(ALL as readonly string[]).includes(w));
  if (unknown.length) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; choose from ${ALL.join(', ')}`);
    process.exit(2);
  }
  for (const name of wanted.length ? wanted : ALL) {
    console.log(`\n## ${name}\n`);
    const t0 = Date.now();
    const mod = (await import(`./${name}.js`)) as { main: (argv?: string[]) => Promise<unknown> };
    await mod.main([]);
    console.log(`\n(${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
}

run().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
