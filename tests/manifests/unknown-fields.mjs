// Unknown-field detection for kubernetes-models.
//
// kubernetes-models validates types, enums and required fields, but its schemas (like the
// Kubernetes OpenAPI ones) allow additional properties: `readinesProbe:` or a `capabilities:`
// written at pod level pass .validate() and are then silently dropped by the API server (or
// refused under strict field validation). That is the commonest manifest bug, so we catch it.
//
// How: the generated validators read every property their schema defines (`data.livenessProbe`,
// …) and, for maps such as labels, every key. So we run the model's own validate() on a Proxy
// that records which keys of which object were read. Any key of the document that the validator
// never read is not part of the schema. selfTest() proves on a known typo that this still holds
// for the installed kubernetes-models version, so the check cannot quietly go blind.
//
// Limit: a free-form field (`type: object` without properties, e.g. a RawExtension) is never
// read key by key, so its keys would be reported; the core kinds we deploy have none.

/** Runs the model's validate() on a recording proxy; returns the paths of keys it never read. */
export function unknownFields(model) {
  const read = new WeakMap(); // target object -> Set of keys the validator read
  const proxies = new WeakMap(); // target object -> its proxy (stable identity for the validator)

  const wrap = (value) => {
    if (value === null || typeof value !== 'object') {
      return value;
    }

    let proxy = proxies.get(value);
    if (!proxy) {
      read.set(value, new Set());
      proxy = new Proxy(value, {
        get(target, key, receiver) {
          if (typeof key === 'string') {
            read.get(target).add(key);
          }

          const result = Reflect.get(target, key, receiver);
          // Methods (validate itself, toJSON) are not data.
          return typeof result === 'function' ? result : wrap(result);
        },
        has(target, key) {
          if (typeof key === 'string') {
            read.get(target).add(key);
          }

          return Reflect.has(target, key);
        },
      });
      proxies.set(value, proxy);
    }

    return proxy;
  };

  model.validate.call(wrap(model));

  const unknown = [];
  const walk = (value, at) => {
    if (value === null || typeof value !== 'object') {
      return;
    }

    const keys = read.get(value) ?? new Set();
    for (const key of Object.keys(value)) {
      const where = Array.isArray(value) ? `${at}[${key}]` : at ? `${at}.${key}` : key;
      if (!Array.isArray(value) && !keys.has(key)) {
        unknown.push(where); // report the outermost unknown key only, not what is under it
      } else {
        walk(value[key], where);
      }
    }
  };
  walk(model, '');
  return unknown;
}

/** Fails loudly if unknownFields() no longer finds a typo (e.g. after a kubernetes-models upgrade). */
export function selfTest(Deployment) {
  const probe = new Deployment({
    metadata: { name: 'self-test', labels: { any: 'label' } },
    spec: {
      selector: { matchLabels: { any: 'label' } },
      template: {
        metadata: { labels: { any: 'label' } },
        spec: {
          securityContext: { capabilities: { drop: ['ALL'] } }, // container-level field at pod level
          containers: [{ name: 'c', image: 'i', readinesProbe: { httpGet: { port: 1 } } }],
        },
      },
    },
  });
  probe.validate(); // the typos are valid as far as the schema goes: that is the point
  const found = unknownFields(probe).sort();
  const expected = ['spec.template.spec.containers[0].readinesProbe', 'spec.template.spec.securityContext.capabilities'];
  if (JSON.stringify(found) !== JSON.stringify(expected)) {
    throw new Error(`unknown-field self-test: expected ${JSON.stringify(expected)}, found ${JSON.stringify(found)}; ` +
      'the check does not work with this kubernetes-models version');
  }
}
