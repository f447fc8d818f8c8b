/** The filter bar of a list: choices that apply at once, and a search box that applies on submit. */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

export function Choice(props: {
  label: string;
  name: string;
  value: string;
  /** [value, label] pairs, or values shown as they are. */
  options: readonly (string | readonly [string, string])[];
  onChange: (value: string) => void;
}) {
  return (
    <label>
      {props.label}{' '}
      <select name={props.name} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
        {props.options.map((o) => {
          const [value, label] = typeof o === 'string' ? [o, o] : o;
          return (
            <option key={value} value={value}>
              {label}
            </option>
          );
        })}
      </select>
    </label>
  );
}

export function FilterBar(props: {
  search: { label: string; name: string; placeholder: string; initial: string; onSearch: (q: string) => void };
  children: ComponentChildren;
}) {
  const [text, setText] = useState(props.search.initial);
  const { label, name, placeholder, onSearch } = props.search;
  return (
    <form
      class="filters"
      onSubmit={(e) => {
        e.preventDefault();
        onSearch(text);
      }}
    >
      {props.children}
      <label>
        {label}{' '}
        <input
          type="search"
          name={name}
          value={text}
          placeholder={placeholder}
          onInput={(e) => setText(e.currentTarget.value)}
        />
      </label>
      <button type="submit">Search</button>
    </form>
  );
}
