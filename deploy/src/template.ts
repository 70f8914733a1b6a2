// {{PLACEHOLDER}} rendering for config templates: every placeholder must be given a value
// and every value must be used, so a typo fails loudly instead of producing a broken config.

export function renderTemplate(template: string, values: Record<string, string>): string {
  const used = new Set<string>();
  const missing = new Set<string>();
  const rendered = template.replace(/\{\{([A-Z0-9_]+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) {
      missing.add(key);
      return '';
    }
    used.add(key);
    return value;
  });
  if (missing.size > 0) throw new Error(`template placeholders without a value: ${[...missing].join(', ')}`);
  const unused = Object.keys(values).filter((key) => !used.has(key));
  if (unused.length > 0) throw new Error(`values not used by the template: ${unused.join(', ')}`);
  return rendered;
}
