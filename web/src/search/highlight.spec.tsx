import { render } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { Highlight, queryTerms } from './highlight';

describe('Highlight', () => {
  it('marks query terms at the start of words only, case-insensitively', () => {
    const { container } = render(<p><Highlight text="Sea levels rise; the tide rises. Arise, research!" query="rise SEA" /></p>);
    const marked = [...container.querySelectorAll('mark')].map((m) => m.textContent);
    expect(marked).toEqual(['Sea', 'rise', 'rise']);
    expect(container.textContent).toBe('Sea levels rise; the tide rises. Arise, research!');
  });

  it('ignores one-letter words and orders longer terms first', () => {
    expect(queryTerms('a sea search')).toEqual(['search', 'sea']);
  });
});
