//! A whole visit: a login form, a signed auth cookie, a session cart,
//! form posts answered with redirects, and a logout — webob and
//! paste-middleware driven like a browser would drive them.

use paste_core::http::StatusCode;
use paste_core::{App, RequestExt as _};
use paste_middleware::auth::AuthChange;
use paste_middleware::auth::cookie::CookieAuth;
use paste_middleware::auth::form::FormAuth;
use paste_middleware::session::{MemoryStore, Session, SessionMiddleware};
use paste_middleware::urlmap::UrlMap;
use webob::cookies::Signer;
use webob::{Request, Response, escape_html, wsgify};
use webtest::{AnyStatus, TestApp};

fn home() -> impl App {
    wsgify(|_req: Request| async {
        Ok(Response::html(
            r#"<html><body><h1>Fruit shop</h1><a href="/shop/">Shop</a></body></html>"#,
        ))
    })
}

fn shop() -> impl App {
    wsgify(|mut req: Request| async move {
        let session = Session::from_request(&req).expect("inside SessionMiddleware");
        let user = req.remote_user().unwrap_or("?").to_owned();
        match (req.method().as_str(), req.path_info()) {
            ("GET", "/") => {
                let cart: Vec<String> = session.get("cart").unwrap_or_default();
                let items: String = cart
                    .iter()
                    .map(|i| format!("<li>{}</li>", escape_html(i)))
                    .collect();
                Ok(Response::html(format!(
                    r#"<html><body><p>Welcome {user}</p><ul id="cart">{items}</ul>
<form id="add" action="add" method="post">
  <select name="item"><option>apple</option><option>pear</option></select>
  <input name="qty" value="1">
  <input type="checkbox" name="gift" value="yes">
  <input type="submit" name="add" value="Add to cart">
</form>
<a href="logout">Log out</a></body></html>"#,
                    user = escape_html(&user)
                )))
            }
            ("POST", "/add") => {
                let form = req.post().await?.clone();
                let mut line = format!("{} x {}", form.get_one("qty")?, form.get_one("item")?);
                if form.get("gift").is_some() {
                    line.push_str(" (gift)");
                }
                assert_eq!(form.get("add").map(String::as_str), Some("Add to cart"));
                let mut cart: Vec<String> = session.get("cart").unwrap_or_default();
                cart.push(line);
                session.set("cart", &cart)?;
                Ok(Response::redirect(&req, "./", StatusCode::SEE_OTHER))
            }
            ("GET", "/logout") => {
                session.clear();
                let mut res = Response::redirect(&req, "/", StatusCode::FOUND);
                res.extensions_mut().insert(AuthChange::Logout);
                Ok(res)
            }
            _ => Err(webob::exc::HttpException::not_found().into()),
        }
    })
}

fn site_app() -> impl App {
    let signer = Signer::new(b"a test secret of at least thirty-two bytes").unwrap();
    let shop = CookieAuth::new(
        FormAuth::new(shop(), |user: &str, password: &str| {
            user == "ann" && password == "apples"
        }),
        signer,
    );
    let map = UrlMap::new().mount("/shop", shop).mount("/", home());
    SessionMiddleware::new(map, MemoryStore::new()).secure(false)
}

fn site() -> TestApp {
    TestApp::new(site_app())
}

fn cart(res: &webtest::TestResponse) -> Vec<String> {
    let html = res.html();
    let items = scraper::Selector::parse("#cart li").unwrap();
    html.select(&items).map(|li| li.text().collect()).collect()
}

#[tokio::test]
async fn log_in_fill_a_cart_and_log_out() {
    visit(&site()).await;
}

/// The same visit against a real server over a socket: the suite runs
/// unchanged against a deployed app.
#[cfg(feature = "http")]
#[tokio::test]
async fn the_same_visit_against_a_live_server() {
    let server = paste_server::Server::bind("127.0.0.1:0")
        .unwrap()
        .handle_signals(false);
    let addr = server.local_addr().unwrap();
    let serving = tokio::spawn(server.serve(site_app()));
    let app = TestApp::from_url(&format!("http://{addr}")).unwrap();
    visit(&app).await;
    serving.abort();
}

async fn visit(app: &TestApp) {
    // The shop asks for a login.
    let login = app.get("/").await.click("Shop").await;
    login.mustcontain(&["Please log in"]);
    assert!(app.cookie("PASTE_AUTH_COOKIE").is_none());

    // A wrong password shows the form again.
    let form = login.form(0);
    form.set("username", "ann").set("password", "pears");
    let again = form.submit().status(AnyStatus).await;
    again.mustcontain(&["Please log in"]);
    again.mustnotcontain(&["Welcome"]);

    // The right one lets ann in and leaves a signed cookie in the jar.
    form.set("password", "apples");
    let page = form.submit_with("authform").await;
    page.mustcontain(&["Welcome ann"]);
    assert!(app.cookie("PASTE_AUTH_COOKIE").is_some());
    assert!(cart(&page).is_empty());

    // Adding to the cart: a POST answered by 303, then the cart page.
    let add = app.get("/shop/").await.form_by_id("add");
    add.select("item", "pear")
        .set("qty", "3")
        .check("gift", true);
    let redirect = add.submit_with("add").await;
    assert_eq!(redirect.status(), StatusCode::SEE_OTHER);
    // In-process the app writes an absolute URL; through a proxy the
    // server's own URL comes back as a path.
    let location = redirect.location().unwrap();
    assert!(
        ["http://localhost/shop/", "/shop/"].contains(&location.as_str()),
        "{location}"
    );
    let page = redirect.follow().await;
    assert_eq!(cart(&page), ["3 x pear (gift)"]);

    let add = page.form_by_id("add");
    add.select_text("item", "apple");
    let page = add.submit_with("add").await.maybe_follow().await;
    assert_eq!(cart(&page), ["3 x pear (gift)", "1 x apple"]);
    assert!(page.url().ends_with("/shop/"), "{}", page.url());

    // The session and the login outlive the page.
    assert_eq!(
        cart(&app.get("/shop/").await),
        ["3 x pear (gift)", "1 x apple"]
    );

    // Logging out clears both and goes home.
    let home = page.click("Log out").await.follow().await;
    home.mustcontain(&["Fruit shop"]);
    assert!(app.cookie("PASTE_AUTH_COOKIE").is_none());
    app.get("/shop/").await.mustcontain(&["Please log in"]);
}

#[tokio::test]
async fn each_test_app_is_its_own_browser() {
    let ann = site();
    let form = ann.get("/shop/").await.form(0);
    form.set("username", "ann").set("password", "apples");
    form.submit().await.mustcontain(&["Welcome ann"]);
    // A second browser on a fresh app has no cookies.
    let other = site();
    other.get("/shop/").await.mustcontain(&["Please log in"]);
    // The same browser after reset() is logged out.
    ann.reset();
    ann.get("/shop/").await.mustcontain(&["Please log in"]);
}
