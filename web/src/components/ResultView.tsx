// One studio output with every recognised face boxed and labelled with its profile and
// similarity (known_subjects.matches), and a download link.
import { useState } from 'preact/hooks';
import type { Match, Profile } from '../api';

export function ResultView({ src, index, matches, profiles, format }: { src: string; index: number; matches: Match[]; profiles: Profile[]; format: string }) {
  const [size, setSize] = useState<{ w: number; h: number } | null>(null);
  const mine = matches.filter((m) => m.image_index === index);
  const nameOf = (id: string) => profiles.find((p) => p.profile_id === id)?.tag ?? id.slice(0, 8);
  const summary = mine.length
    ? mine.map((m) => `${nameOf(m.profile_id)} (similarity ${m.similarity.toFixed(2)})`).join(', ')
    : 'no known profile recognised';
  return (
    <div class="result">
      <figure>
        <img src={src} alt={`Output ${index + 1}: ${summary}`} onLoad={(e) => setSize({ w: e.currentTarget.naturalWidth, h: e.currentTarget.naturalHeight })} />
        {size ? (
          <svg viewBox={`0 0 ${size.w} ${size.h}`} preserveAspectRatio="none" aria-hidden="true">
            {mine.map((m) => {
              const [x, y, w, h] = m.box;
              const fs = Math.max(14, size.w / 36);
              return (
                <g key={`${m.profile_id}-${x}`} data-testid="face-box">
                  <rect x={x} y={y} width={w} height={h} fill="none" stroke="#22c55e" stroke-width={Math.max(2, size.w / 300)} rx={fs / 3} />
                  <rect x={x} y={Math.max(0, y - fs * 1.5)} width={Math.max(w, fs * 9)} height={fs * 1.4} fill="#22c55e" rx={fs / 4} />
                  <text x={x + fs / 3} y={Math.max(fs, y - fs * 0.4)} font-size={fs} fill="#04130a" class="face-label">
                    {nameOf(m.profile_id)} · {m.similarity.toFixed(2)}
                  </text>
                </g>
              );
            })}
          </svg>
        ) : null}
        <figcaption>
          <span class="meta" data-testid="result-summary">{summary}</span>
          <a class="btn small" href={src} download={`likeness-${index + 1}.${format === 'png' ? 'png' : 'jpg'}`}>
            Download
          </a>
        </figcaption>
      </figure>
    </div>
  );
}
