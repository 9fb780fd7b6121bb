// A prompt box where typing "@" opens a picker of READY profiles (by tag, id or picture);
// choosing one inserts [[profile_id]]. Keyboard: ↑/↓ to move, Enter or Tab to insert, Esc to close.
import { useMemo, useRef, useState } from 'preact/hooks';
import type { Profile } from '../api';
import { ProfilePicture } from './ui';

export function MentionInput({ id, label, value, onInput, profiles, required, hint }: {
  id: string;
  label: string;
  value: string;
  onInput: (v: string) => void;
  profiles: Profile[];
  required?: boolean;
  hint?: string;
}) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const [query, setQuery] = useState<{ start: number; text: string } | null>(null);
  const [active, setActive] = useState(0);
  const ready = profiles.filter((p) => p.status === 'READY');
  const options = useMemo(() => {
    if (!query) return [];
    const q = query.text.toLowerCase();
    return ready.filter((p) => !q || p.profile_id.includes(q) || (p.tag ?? '').toLowerCase().includes(q)).slice(0, 8);
  }, [query, profiles]);

  const update = (el: HTMLTextAreaElement) => {
    onInput(el.value);
    const upto = el.value.slice(0, el.selectionStart ?? el.value.length);
    const m = /(^|\s)@([\w.-]*)$/.exec(upto);
    setQuery(m ? { start: upto.length - m[2].length - 1, text: m[2] } : null);
    setActive(0);
  };
  const insert = (p: Profile) => {
    const el = ref.current!;
    const end = el.selectionStart ?? value.length;
    const next = `${value.slice(0, query!.start)}[[${p.profile_id}]] ${value.slice(end)}`;
    const caret = query!.start + p.profile_id.length + 5;
    // Update the box and caret at once, so typing straight on continues after the mention.
    el.value = next;
    el.focus();
    el.setSelectionRange(caret, caret);
    onInput(next);
    setQuery(null);
  };
  const open = query !== null && options.length > 0;
  const listId = `${id}-mentions`;
  return (
    <div class="field mention">
      <label for={id}>{label}</label>
      <textarea
        id={id}
        ref={ref}
        value={value}
        required={required}
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={open}
        aria-controls={listId}
        aria-activedescendant={open ? `${listId}-${active}` : undefined}
        aria-describedby={`${id}-hint`}
        onInput={(e) => update(e.currentTarget)}
        onKeyDown={(e) => {
          if (!open) return;
          if (e.key === 'ArrowDown') setActive((a) => (a + 1) % options.length);
          else if (e.key === 'ArrowUp') setActive((a) => (a - 1 + options.length) % options.length);
          else if (e.key === 'Enter' || e.key === 'Tab') insert(options[active]);
          else if (e.key === 'Escape') setQuery(null);
          else return;
          e.preventDefault();
        }}
        onBlur={() => setTimeout(() => setQuery(null), 150)}
      />
      <span class="hint" id={`${id}-hint`}>
        {hint ?? 'Type @ to mention a profile: it becomes [[profile_id]].'}
      </span>
      {open ? (
        <ul class="mention-list" role="listbox" id={listId} aria-label="Profiles">
          {options.map((p, i) => (
            <li
              key={p.profile_id}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              onMouseDown={(e) => {
                e.preventDefault();
                insert(p);
              }}
            >
              <ProfilePicture id={p.profile_id} ready alt="" size={32} />
              <span>
                <strong>{p.tag ?? 'untagged'}</strong> <span class="meta mono">{p.profile_id}</span>
              </span>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
