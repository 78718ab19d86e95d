// A real OpenID Connect provider for the sign-in tests: the certified `oidc-provider` package, on
// 127.0.0.1, on a port the system picks (printed as the first line of stdout). Started and stopped
// by tests/servers/identity_provider.py, which passes the test users and the one client (the app)
// as JSON in OIDC_TEST_CONFIG:
//   {"users": [{"email", "name", "password", "email_verified"}], "client_id", "client_secret",
//    "redirect_uri", "cookie_keys": [..]}
// It stops when its stdin closes, so it never outlives the test process that started it.
//
// What Streamlit's st.login (Authlib) needs of a provider, and why each setting is here:
// - email, email_verified and name IN THE ID TOKEN (conformIdTokenClaims: false): st.user is built
//   from the ID token's claims, not from userinfo.
// - prompt=select_account accepted: Streamlit always sends it; oidc-provider only accepts a prompt
//   its interaction policy can resolve, so a select_account prompt is added, resolved by signing in.
// - its own cookie names: cookies ignore ports, and the app and the provider share 127.0.0.1.
// - a login form Chromium fills (email, password, "Sign in"), and sign-out without a question
//   (RP-initiated logout's confirmation is submitted by the page itself).
import http from 'node:http';
import { once } from 'node:events';
import Provider, { interactionPolicy } from 'oidc-provider';

const config = JSON.parse(process.env.OIDC_TEST_CONFIG);
const users = new Map(config.users.map((u, i) => [`user-${i + 1}`, u]));

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid, problem) {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Test identity provider</title></head>
<body><h1>Sign in to the test identity provider</h1>
${problem ? `<p role="alert">${esc(problem)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login">
<label>Email <input type="email" name="email" autocomplete="username" required autofocus></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form></body></html>`;
}

async function formBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const policy = interactionPolicy.base();
policy.add(new interactionPolicy.Prompt({ name: 'select_account', requestable: true }));

const server = http.createServer();
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: config.client_id,
    client_secret: config.client_secret,
    redirect_uris: [config.redirect_uri],
    post_logout_redirect_uris: [config.redirect_uri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  conformIdTokenClaims: false,
  async findAccount(ctx, id) {
    const user = users.get(id);
    if (!user) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: user.email, email_verified: user.email_verified !== false, name: user.name };
      },
    };
  },
  cookies: {
    keys: config.cookie_keys,
    names: {
      session: 'test_idp_session',
      interaction: 'test_idp_interaction',
      resume: 'test_idp_resume',
      state: 'test_idp_state',
    },
  },
  interactions: { policy, url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      // One click in the app signs out here too: the confirmation form submits itself.
      async logoutSource(ctx, form) {
        ctx.body = `<!DOCTYPE html><html><body>${form}
<input type="hidden" name="logout" value="yes" form="op.logoutForm">
<script>document.forms[0].submit()</script></body></html>`;
      },
    },
  },
});

// The login form for every prompt (login, select_account, consent): signing in resolves them all,
// with a grant of the scopes asked (a first-party app: no consent screen).
provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (ctx.method === 'GET') {
    ctx.type = 'html';
    ctx.body = loginPage(details.uid);
    return undefined;
  }
  const body = await formBody(ctx.req);
  const email = (body.get('email') || '').trim().toLowerCase();
  const found = [...users].find(([, u]) => u.email.toLowerCase() === email && u.password === body.get('password'));
  if (!found) {
    ctx.type = 'html';
    ctx.body = loginPage(details.uid, 'Wrong email or password.');
    return undefined;
  }
  const [accountId] = found;
  const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  await provider.interactionFinished(
    ctx.req,
    ctx.res,
    { login: { accountId }, consent: { grantId }, select_account: {} },
    { mergeWithLastSubmission: false },
  );
  return undefined;
});

server.on('request', provider.callback());
process.stdout.write(`${server.address().port}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
