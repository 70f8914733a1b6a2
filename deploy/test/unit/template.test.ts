import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { demoAppTemplateFile, renderNginxConfig, templateFile } from '../../src/nginx.ts';
import { replicaEnv } from '../../src/replica.ts';
import { renderTemplate } from '../../src/template.ts';

describe('renderTemplate', () => {
  test('replaces every placeholder', () => {
    assert.equal(renderTemplate('{{A}}-{{B}}-{{A}}', { A: '1', B: '2' }), '1-2-1');
  });

  test('a placeholder without a value is an error, not an empty string', () => {
    assert.throws(() => renderTemplate('x {{MISSING}} y', {}), /MISSING/);
  });

  test('a value the template does not use is an error (a typo in a name)', () => {
    assert.throws(() => renderTemplate('{{A}}', { A: '1', TYPO: '2' }), /TYPO/);
  });
});

describe('renderNginxConfig', () => {
  const options = {
    name: 'a',
    prefix: '/srv/twofold/lb-a',
    listenPort: 18080,
    upstreamPorts: [18091, 18092],
    pushUpstreamPorts: [18115, 18116],
  };

  test('one server line per replica, inside the upstream block', async () => {
    const config = renderNginxConfig(await readFile(templateFile, 'utf8'), options);
    const upstream = config.slice(config.indexOf('upstream twofold_auth {'), config.indexOf('keepalive 32;'));
    assert.match(upstream, /least_conn;/);
    assert.match(upstream, /server 127\.0\.0\.1:18091 max_fails=2 fail_timeout=5s;/);
    assert.match(upstream, /server 127\.0\.0\.1:18092 max_fails=2 fail_timeout=5s;/);
    assert.doesNotMatch(config, /\{\{/);
  });

  test('listens on loopback only, keeps its files in its prefix', async () => {
    const config = renderNginxConfig(await readFile(templateFile, 'utf8'), options);
    assert.match(config, /listen 127\.0\.0\.1:18080;/);
    assert.match(config, /pid "\/srv\/twofold\/lb-a\/nginx\.pid";/);
    assert.match(config, /access_log "\/srv\/twofold\/lb-a\/logs\/access\.log" twofold;/);
    for (const line of config.split('\n').filter((l) => /^\s*listen /.test(l))) {
      assert.match(line, /listen 127\.0\.0\.1:/);
    }
  });

  test('retries on another replica without ever replaying a POST that reached one', async () => {
    const config = renderNginxConfig(await readFile(templateFile, 'utf8'), options);
    assert.match(config, /proxy_next_upstream error timeout;/);
    // A replica's 503 (a data store failing over) must not count against it: see the template.
    assert.doesNotMatch(config, /proxy_next_upstream [^;]*http_503/);
    assert.match(config, /proxy_next_upstream_tries 3;/);
    assert.doesNotMatch(config, /^\s*proxy_next_upstream [^;]*non_idempotent/m);
  });

  test("idle connections to a replica are let go before a draining replica's listener closes", async () => {
    const config = renderNginxConfig(await readFile(templateFile, 'utf8'), options);
    const upstream = config.slice(config.indexOf('upstream twofold_auth {'));
    const timeout = /keepalive_timeout (\d+)s;/.exec(upstream.slice(0, upstream.indexOf('}')));
    assert.ok(timeout, 'the auth upstream sets keepalive_timeout');
    const env = replicaEnv('auth', {
      dataDir: '/d',
      index: 1,
      port: 1,
      databaseUrl: 'postgres://x',
      redisUrl: 'redis://x',
    });
    assert.ok(Number(timeout[1]) * 1000 < Number(env.TWOFOLD_DRAIN_DELAY_MS), 'shorter than the drain');
  });

  test('the push upstream is the push replicas, least_conn, left out after one failed connect', async () => {
    const config = renderNginxConfig(await readFile(templateFile, 'utf8'), options);
    const block = config.slice(config.indexOf('upstream twofold_push {'));
    const upstream = block.slice(0, block.indexOf('}'));
    assert.match(upstream, /least_conn;/);
    const servers = upstream.split('\n').filter((line) => /^\s*server /.test(line));
    assert.deepEqual(
      servers.map((line) => line.trim()),
      [
        'server 127.0.0.1:18115 max_fails=1 fail_timeout=2s;',
        'server 127.0.0.1:18116 max_fails=1 fail_timeout=2s;',
      ],
    );
    assert.doesNotMatch(upstream, /^\s*keepalive /m);
  });

  test('/push/ upgrades to WebSocket and keeps idle sockets open past the gateway pings', async () => {
    const config = renderNginxConfig(await readFile(templateFile, 'utf8'), options);
    assert.match(config, /map \$http_upgrade \$connection_upgrade \{\s+default upgrade;/);
    const location = config.slice(config.indexOf('location /push/ {'));
    const body = location.slice(0, location.indexOf('\n    }'));
    assert.match(body, /proxy_pass http:\/\/twofold_push;/);
    assert.match(body, /proxy_set_header Upgrade \$http_upgrade;/);
    assert.match(body, /proxy_set_header Connection \$connection_upgrade;/);
    assert.match(body, /proxy_set_header X-Forwarded-For \$remote_addr;/);
    assert.match(body, /limit_conn twofold_push_per_address 50;/);
    assert.match(body, /proxy_read_timeout 75s;/);
    assert.match(body, /proxy_send_timeout 75s;/);
    assert.match(body, /proxy_buffering off;/);
    assert.match(body, /^\s*proxy_next_upstream error timeout;$/m, 'no retry on a replica that answered');
  });

  test('rejects names and prefixes that would break the config', async () => {
    const template = await readFile(templateFile, 'utf8');
    assert.throws(() => renderNginxConfig(template, { ...options, name: 'a;b' }), /invalid/);
    assert.throws(() => renderNginxConfig(template, { ...options, prefix: '/tmp/x";evil' }), /unsupported/);
    assert.throws(() => renderNginxConfig(template, { ...options, upstreamPorts: [] }), /at least one/);
    assert.throws(() => renderNginxConfig(template, { ...options, pushUpstreamPorts: [] }), /at least one/);
  });
});

describe('renderNginxConfig: the demo applications behind forward auth', () => {
  const options = {
    name: 'b',
    prefix: '/srv/twofold/lb-b',
    listenPort: 18081,
    upstreamPorts: [18091, 18092],
    pushUpstreamPorts: [18115, 18116],
    demo: { port: 18127, cookieDomain: 'twofold.localhost' },
  };
  const render = async (overrides: Partial<typeof options> = {}) =>
    renderNginxConfig(
      await readFile(templateFile, 'utf8'),
      { ...options, ...overrides },
      await readFile(demoAppTemplateFile, 'utf8'),
    );
  /** The server block whose server_name is `name`. */
  const serverBlock = (config: string, name: string) => {
    const start = config.lastIndexOf('\n  server {', config.indexOf(`server_name ${name};`));
    return config.slice(start, config.indexOf('\n  }\n', start));
  };
  /** A location's body (up to its closing brace at four spaces). */
  const location = (block: string, opening: string) => {
    const start = block.indexOf(opening);
    assert.notEqual(start, -1, `no ${opening}`);
    return block.slice(start, block.indexOf('\n    }', start));
  };

  test('one server block per application, on the same port, after the default server', async () => {
    const config = await render();
    assert.doesNotMatch(config, /\{\{/);
    assert.equal(config.match(/^\s*server_name app1\.twofold\.localhost;$/gm)?.length, 1);
    assert.equal(config.match(/^\s*server_name app2\.twofold\.localhost;$/gm)?.length, 1);
    assert.ok(
      config.indexOf('server_name _;') < config.indexOf('server_name app1.'),
      'the default comes first',
    );
    for (const app of ['app1', 'app2']) {
      const block = serverBlock(config, `${app}.twofold.localhost`);
      assert.match(block, /listen 127\.0\.0\.1:18081;/);
      assert.match(config, new RegExp(`upstream twofold_demo_${app} \\{\\s+server 127\\.0\\.0\\.1:18127;`));
      assert.match(location(block, 'location / {'), new RegExp(`proxy_pass http://twofold_demo_${app};`));
    }
  });

  test('every page asks /auth/verify, and takes who the user is from the answer', async () => {
    const block = serverBlock(await render(), 'app1.twofold.localhost');
    const site = location(block, 'location / {');
    assert.match(site, /^\s*auth_request \/_twofold\/auth-verify;$/m);
    for (const [variable, header] of [
      ['twofold_user', 'remote_user'],
      ['twofold_email', 'remote_email'],
      ['twofold_name', 'remote_name'],
      ['twofold_groups', 'remote_groups'],
      ['twofold_login_location', 'location'],
    ])
      assert.match(site, new RegExp(`auth_request_set \\$${variable} \\$upstream_http_${header};`));
    assert.match(site, /error_page 401 = @twofold_login;/);
    assert.match(site, /error_page 403 = @twofold_forbidden;/);
    assert.match(site, /error_page 500 = @twofold_unavailable;/);
    assert.match(location(block, 'location @twofold_login {'), /return 302 \$twofold_login_location;/);
    const unavailable = location(block, 'location @twofold_unavailable {');
    assert.match(unavailable, /add_header Retry-After 5 always;/);
    assert.match(unavailable, /return 503 /);
    assert.match(
      location(block, 'location @twofold_forbidden {'),
      /add_header Cache-Control no-store always;/,
    );
  });

  test("the application gets Remote-* from the verdict only: the client's are replaced", async () => {
    const site = location(serverBlock(await render(), 'app2.twofold.localhost'), 'location / {');
    assert.match(site, /proxy_set_header Remote-User \$twofold_user;/);
    assert.match(site, /proxy_set_header Remote-Email \$twofold_email;/);
    assert.match(site, /proxy_set_header Remote-Name \$twofold_name;/);
    assert.match(site, /proxy_set_header Remote-Groups \$twofold_groups;/);
    assert.match(site, /proxy_set_header Cookie \$twofold_app_cookie;/, "every cookie but Twofold's session");
    assert.match(site, /proxy_set_header X-Forwarded-For \$remote_addr;/);
    assert.doesNotMatch(site, /proxy_pass_request_headers off|underscores_in_headers on/);
  });

  test("the verdict is asked with the server's own name (never the client's Host) and original URL, without a body", async () => {
    const verify = location(
      serverBlock(await render(), 'app1.twofold.localhost'),
      'location = /_twofold/auth-verify {',
    );
    assert.match(verify, /^\s*internal;$/m);
    assert.match(verify, /proxy_pass http:\/\/twofold_auth\/auth\/verify;/);
    assert.match(verify, /proxy_method GET;/);
    assert.match(verify, /proxy_pass_request_body off;/);
    assert.match(verify, /proxy_set_header X-Forwarded-Host \$server_name\$twofold_request_port;/);
    assert.match(
      verify,
      /proxy_set_header X-Original-URL \$scheme:\/\/\$server_name\$twofold_request_port\$request_uri;/,
    );
    assert.doesNotMatch(verify, /\$http_host\$|X-Forwarded-Host \$http_host/);
    assert.match(verify, /proxy_set_header X-Forwarded-Proto \$scheme;/);
    assert.match(verify, /proxy_set_header X-Forwarded-For \$remote_addr;/);
    assert.match(verify, /proxy_set_header X-Request-Id \$request_id;/);
    for (const header of ['User', 'Email', 'Name', 'Groups'])
      assert.match(verify, new RegExp(`proxy_set_header Remote-${header} "";`));
  });

  test('the cookie domain names the applications, and is checked', async () => {
    const config = await render({ demo: { port: 18127, cookieDomain: 'Example.COM' } });
    assert.match(config, /server_name app1\.example\.com;/);
    await assert.rejects(
      render({ demo: { port: 18127, cookieDomain: 'x; include /etc/passwd' } }),
      /not a domain/,
    );
    await assert.rejects(render({ demo: { port: 0, cookieDomain: 'example.com' } }), /invalid demo/);
  });

  test('without a demo member, no demo blocks (and no demo template needed)', async () => {
    const { demo: _, ...alone } = options;
    const config = renderNginxConfig(await readFile(templateFile, 'utf8'), alone);
    assert.doesNotMatch(config, /server_name app1\./);
    assert.match(config, /# \(no demo applications\)/);
    assert.throws(() => renderNginxConfig('{{DEMO_APPS}}', options), /need their template/);
  });

  test('behind a trusted proxy, the demo blocks take the client address from it too', async () => {
    const config = renderNginxConfig(
      await readFile(templateFile, 'utf8'),
      { ...options, trustedEdgeProxies: ['10.0.0.0/8'] },
      await readFile(demoAppTemplateFile, 'utf8'),
    );
    assert.equal(config.match(/set_real_ip_from 10\.0\.0\.0\/8;/g)?.length, 3);
  });
});
