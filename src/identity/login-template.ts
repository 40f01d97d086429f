/**
 * The default Conjur host login for pods without a `conjur.org/authn-login` annotation, e.g.
 * `host/conjur/authn-k8s/{serviceId}/apps/{namespace}/service_account/{serviceAccount}`.
 * Parsed once at construction, so a typo in config stops the agent at start instead of
 * silently denying every pod later.
 */

export const LOGIN_PLACEHOLDERS = ['namespace', 'serviceAccount', 'podName', 'serviceId'] as const;
export type LoginPlaceholder = (typeof LOGIN_PLACEHOLDERS)[number];

export type LoginTemplateErrorCode = 'unknown-placeholder' | 'malformed' | 'not-a-host-login' | 'missing-service-id';

/** The configured login template is unusable; the message names the problem. */
export class LoginTemplateError extends Error {
  override readonly name = 'LoginTemplateError';
  constructor(
    readonly code: LoginTemplateErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

type Part = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'placeholder'; readonly name: LoginPlaceholder };

export type LoginValues = Readonly<Record<Exclude<LoginPlaceholder, 'serviceId'>, string>>;

export class LoginTemplate {
  private constructor(
    private readonly parts: readonly Part[],
    private readonly serviceId: string | undefined,
  ) {}

  /** `serviceId` is the authn-k8s service id; required only if the template uses `{serviceId}`. */
  static parse(template: string, serviceId?: string): LoginTemplate {
    if (!template.startsWith('host/') || template.length === 'host/'.length) {
      throw new LoginTemplateError('not-a-host-login', `login template ${JSON.stringify(template)} must start with host/`);
    }
    const parts = parseParts(template);
    const usesServiceId = parts.some((part) => part.kind === 'placeholder' && part.name === 'serviceId');
    if (usesServiceId && (serviceId === undefined || serviceId === '')) {
      throw new LoginTemplateError('missing-service-id', 'login template uses {serviceId} but no authn-k8s service id is configured');
    }
    return new LoginTemplate(parts, serviceId);
  }

  render(values: LoginValues): string {
    return this.parts
      .map((part) => {
        if (part.kind === 'text') return part.text;
        return part.name === 'serviceId' ? (this.serviceId ?? '') : values[part.name];
      })
      .join('');
  }
}

function parseParts(template: string): Part[] {
  const parts: Part[] = [];
  const pattern = /\{([^{}]*)\}/g;
  let last = 0;
  for (const match of template.matchAll(pattern)) {
    pushText(parts, template.slice(last, match.index), template);
    const name = match[1] ?? '';
    if (!isPlaceholder(name)) {
      throw new LoginTemplateError(
        'unknown-placeholder',
        `login template has unknown placeholder {${name}} (known: ${LOGIN_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')})`,
      );
    }
    parts.push({ kind: 'placeholder', name });
    last = match.index + match[0].length;
  }
  pushText(parts, template.slice(last), template);
  return parts;
}

function pushText(parts: Part[], text: string, template: string): void {
  if (text.includes('{') || text.includes('}')) {
    throw new LoginTemplateError('malformed', `login template ${JSON.stringify(template)} has an unbalanced brace`);
  }
  if (text !== '') parts.push({ kind: 'text', text });
}

function isPlaceholder(name: string): name is LoginPlaceholder {
  return (LOGIN_PLACEHOLDERS as readonly string[]).includes(name);
}
