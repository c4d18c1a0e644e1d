/**
 * The dashboard's actions (POST), reached only after the token, CSRF, origin and read-only
 * checks: requeue, delete and purge dead letters (deletes and purges confirmed first), cancel
 * by id, panel actions; and the login form. Each ends in a redirect with a one-time message.
 *
 * @module
 */
import type { ServerResponse } from "node:http";
import { qName } from "../queue-names.js";
import { layout, type PageContext } from "./layout.js";
import { confirmPage } from "./pages/dead-letters.js";
import { loginPage } from "./pages/login.js";
import type { DashboardRequest } from "./request.js";
import { cookiePath, oneLine, redirect, send, sendPage } from "./response.js";
import { findPanel, panelRequest, required, type Settings } from "./routing.js";

/** Runs an action and redirects to the page that shows its effect. */
export async function runAction(
  request: DashboardRequest,
  res: ServerResponse,
  settings: Settings,
  context: PageContext,
) {
  const { source } = settings;
  const form = request.form;
  const path = request.path;
  try {
    if (path.startsWith("/dead-letters/")) {
      const queue = qName(required(form, "queue"));
      const back = `/dead-letters?queue=${encodeURIComponent(queue)}`;
      switch (path) {
        case "/dead-letters/requeue": {
          const id = required(form, "id");
          const found = await source.requeueDeadLetter(queue, id);
          return redirect(
            res,
            request,
            back,
            found ? `requeued ${id} to ${queue}` : `no dead letter ${id} in ${queue}.XQ`,
            !found,
          );
        }
        case "/dead-letters/requeue-all": {
          const moved = await source.requeueAllDeadLetters(queue);
          return redirect(res, request, back, `requeued ${moved} dead letter(s) to ${queue}`);
        }
        case "/dead-letters/delete":
        case "/dead-letters/purge": {
          const action = path === "/dead-letters/delete" ? "delete" : "purge";
          const id = action === "delete" ? required(form, "id") : undefined;
          if (form.get("confirm") !== "yes") {
            return sendPage(
              res,
              request,
              200,
              layout(context, {
                title: "Confirm",
                active: "dead-letters",
                body: confirmPage(context, action, queue, id),
              }),
            );
          }
          if (id !== undefined) {
            const found = await source.deleteDeadLetter(queue, id);
            return redirect(
              res,
              request,
              back,
              found ? `deleted ${id}` : `no dead letter ${id} in ${queue}.XQ`,
              !found,
            );
          }
          const purged = await source.purgeDeadLetters(queue);
          return redirect(res, request, back, `purged ${purged} dead letter(s) from ${queue}.XQ`);
        }
      }
    }
    if (path === "/cancel" && source.cancel !== undefined) {
      const ids = (form.get("ids") ?? "").split(/[\s,]+/).filter(Boolean);
      if (ids.length === 0) {
        return redirect(res, request, "/cancel", "give at least one message id", true);
      }
      await source.cancel(ids);
      return redirect(res, request, "/cancel", `cancelled ${ids.join(", ")}`);
    }
    const panel = findPanel(settings, path);
    if (panel?.panel.act !== undefined) {
      const result = await panel.panel.act(panelRequest(request, context, panel));
      return redirect(res, request, `/panels/${panel.panel.id}${result.redirect ?? "/"}`, result.flash);
    }
    return send(res, 404, "text/plain; charset=utf-8", "no such action\n");
  } catch (error) {
    const back = path.startsWith("/panels/") ? path : path === "/cancel" ? "/cancel" : "/queues";
    const queue = form.get("queue");
    return redirect(
      res,
      request,
      queue ? `/dead-letters?queue=${encodeURIComponent(queue)}` : back,
      oneLine(error),
      true,
    );
  }
}

/** The login form of a token-protected dashboard: shows it, or checks the token and sets the session cookie. */
export async function login(
  request: DashboardRequest,
  res: ServerResponse,
  settings: Settings,
  csrf: string,
) {
  if (!settings.access.tokenRequired) {
    return redirect(res, request, "/queues");
  }
  if (request.method !== "POST") {
    return sendPage(res, request, 200, loginPage(request.prefix, csrf, undefined));
  }
  if (!settings.access.accepts(request.form.get("token") ?? "")) {
    return sendPage(res, request, 401, loginPage(request.prefix, csrf, "Wrong token."));
  }
  const secure = (request.raw.socket as { encrypted?: boolean }).encrypted === true;
  request.setCookies.push(settings.access.sessionCookie(cookiePath(request), secure));
  return redirect(res, request, "/queues");
}
