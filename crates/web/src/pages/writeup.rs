//! The data-analysis report (数据分析报告) in the web: a form (node, year, formats) whose button
//! starts a job in the background, a progress page that refreshes itself until the files are
//! ready (Word, PDF, HTML to download, and the report inside the site to read), and the editor
//! of the narrative templates the report's prose is written from.
//!
//! Jobs live in this server's memory ([`WriteupJobs`]): a report takes seconds to a minute to
//! render, longer than a request should wait, and the files are wanted once, soon after. At most
//! [`RUNNING_AT_ONCE`] run at a time (rendering a PDF is heavy and the machine is small); the
//! others wait their turn. A job is its owner's only: anyone else is told it does not exist.
//!
//! Who: federation-side readers (`Viewer::analyses`, as the dashboards) make reports; those who
//! manage the review rules and indicators (`Permission::ManageRules`) edit the templates.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use shanghui_core::account::Permission;
use shanghui_core::{Lang, OrgKind, Organization, Scope};
use shanghui_store::{audit, orgs, writeup_templates};
use shanghui_writeup::facts;
use shanghui_writeup::narrative::{self, Narrative, TemplateProblem};
use shanghui_writeup::{Format, compose, html};
use tokio::sync::Semaphore;

use super::campaigns::{check, parse_node};
use super::indicators::{report_node, report_years, report_years_offered};
use super::upload::attachment;
use super::{Posted, Viewer, local_time};
use crate::auth::Me;
use crate::csrf::{FIELD, Token};
use crate::lang::ReaderLang;
use crate::{AppError, AppState};

/// Jobs kept at most (finished ones go first, oldest first).
const MAX_JOBS: usize = 100;
/// How long a finished job's files stay to be downloaded.
const KEEP_FINISHED: Duration = Duration::from_secs(2 * 3600);
/// Reports rendered at the same time on this server; the others queue.
pub const RUNNING_AT_ONCE: usize = 2;
/// The reader's jobs listed under the form.
const RECENT_SHOWN: usize = 20;
/// Templates rendered even for a year without a campaign: checked against such a year too.
const ALWAYS_RENDERED: &[&str] = &["title", "overview", "reporting", "indicators", "trend"];

// -------------------------------------------------------------------------------------------------
// The jobs.

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Queued,
    Gathering,
    Writing,
    Rendering(Format),
    Done,
    Failed,
}

impl Stage {
    fn label(self, lang: Lang) -> &'static str {
        lang.t(match self {
            Stage::Queued => "writeup_page.stage.queued",
            Stage::Gathering => "writeup_page.stage.gathering",
            Stage::Writing => "writeup_page.stage.writing",
            Stage::Rendering(Format::Docx) => "writeup_page.stage.docx",
            Stage::Rendering(Format::Pdf) => "writeup_page.stage.pdf",
            Stage::Rendering(Format::Html) => "writeup_page.stage.html",
            Stage::Done => "writeup_page.stage.done",
            Stage::Failed => "writeup_page.stage.failed",
        })
    }

    fn finished(self) -> bool {
        matches!(self, Stage::Done | Stage::Failed)
    }

    /// A class for the status (`queued`, `running`, `done`, `failed`).
    fn class(self) -> &'static str {
        match self {
            Stage::Queued => "queued",
            Stage::Done => "done",
            Stage::Failed => "failed",
            _ => "running",
        }
    }
}

/// One rendered file.
#[derive(Clone)]
struct JobFile {
    format: Format,
    name: String,
    bytes: Bytes,
}

/// The report as the site shows it: its title lines and its HTML body (no page around it).
struct View {
    title: String,
    subtitle: Vec<String>,
    body: String,
}

/// A report being made, or made.
#[derive(Clone)]
struct Job {
    owner: i64,
    node_id: i64,
    node_name: String,
    year: i32,
    /// The report's language: the asker's when they asked.
    lang: Lang,
    formats: Vec<Format>,
    created_at: DateTime<Utc>,
    /// When it ended (kept [`KEEP_FINISHED`] after).
    finished_at: Option<Instant>,
    stage: Stage,
    /// 0–100.
    progress: u8,
    files: Vec<JobFile>,
    view: Option<Arc<View>>,
    /// Why it failed, in the language of whoever asked.
    error: Option<String>,
}

/// The jobs of this server, and the slots they take turns on.
pub struct WriteupJobs {
    jobs: Mutex<HashMap<u64, Job>>,
    slots: Arc<Semaphore>,
}

impl Default for WriteupJobs {
    fn default() -> Self {
        WriteupJobs {
            jobs: Mutex::default(),
            slots: Arc::new(Semaphore::new(RUNNING_AT_ONCE)),
        }
    }
}

impl WriteupJobs {
    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Job>> {
        // A panic while holding the lock leaves a map that is still consistent.
        self.jobs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps `job` under a new random id; `None` when [`MAX_JOBS`] are still queued or running.
    fn add(&self, job: Job) -> Option<u64> {
        let mut jobs = self.lock();
        prune(&mut jobs, Instant::now());
        if jobs.len() >= MAX_JOBS {
            return None;
        }
        let id = loop {
            let id = random_id();
            if id != 0 && !jobs.contains_key(&id) {
                break id;
            }
        };
        jobs.insert(id, job);
        Some(id)
    }

    fn update(&self, id: u64, f: impl FnOnce(&mut Job)) {
        if let Some(j) = self.lock().get_mut(&id) {
            f(j);
        }
    }

    fn stage(&self, id: u64, stage: Stage, progress: u8) {
        self.update(id, |j| {
            j.stage = stage;
            j.progress = progress;
        });
    }

    fn finish(&self, id: u64, outcome: Result<(), String>) {
        self.update(id, |j| {
            j.finished_at = Some(Instant::now());
            match outcome {
                Ok(()) => {
                    j.stage = Stage::Done;
                    j.progress = 100;
                }
                Err(message) => {
                    j.stage = Stage::Failed;
                    j.error = Some(message);
                }
            }
        });
    }

    /// Job `id` if `owner`'s (a copy: the files are shared, not copied).
    fn owned(&self, id: u64, owner: i64) -> Option<Job> {
        let mut jobs = self.lock();
        prune(&mut jobs, Instant::now());
        jobs.get(&id).filter(|j| j.owner == owner).cloned()
    }

    /// `owner`'s jobs, newest first.
    fn of(&self, owner: i64) -> Vec<(u64, Job)> {
        let mut jobs = self.lock();
        prune(&mut jobs, Instant::now());
        let mut mine: Vec<(u64, Job)> = jobs
            .iter()
            .filter(|(_, j)| j.owner == owner)
            .map(|(id, j)| (*id, j.clone()))
            .collect();
        mine.sort_by_key(|(_, j)| std::cmp::Reverse(j.created_at));
        mine.truncate(RECENT_SHOWN);
        mine
    }
}

/// Drops jobs finished more than [`KEEP_FINISHED`] ago, then the oldest finished ones while there
/// are [`MAX_JOBS`] or more. Jobs still queued or running are never dropped: their owner waits.
fn prune(jobs: &mut HashMap<u64, Job>, now: Instant) {
    jobs.retain(|_, j| {
        j.finished_at
            .is_none_or(|t| now.duration_since(t) < KEEP_FINISHED)
    });
    while jobs.len() >= MAX_JOBS {
        let oldest = jobs
            .iter()
            .filter_map(|(id, j)| j.finished_at.map(|t| (t, *id)))
            .min()
            .map(|(_, id)| id);
        match oldest {
            Some(id) => jobs.remove(&id),
            None => break,
        };
    }
}

/// 64 random bits: a job's address is its only key, so it must not be guessed.
fn random_id() -> u64 {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).expect("the operating system gives random bytes");
    u64::from_le_bytes(b)
}

fn job_path(id: u64) -> String {
    format!("/writeup/jobs/{id:016x}")
}

fn parse_job(raw: &str) -> Option<u64> {
    (raw.len() == 16)
        .then(|| u64::from_str_radix(raw, 16).ok())
        .flatten()
}

// -------------------------------------------------------------------------------------------------
// Running a job.

/// What a job is asked to make, with the asker's scope (the report reads only that).
struct Order {
    scope: Scope,
    node: Organization,
    year: i32,
    lang: Lang,
    formats: Vec<Format>,
}

/// Waits for a slot, builds, and records the outcome whatever happens (a panic included, so a
/// job never stays "running" for ever).
async fn run(state: AppState, id: u64, order: Order) {
    let jobs = state.writeup.clone();
    let lang = order.lang;
    let Ok(_slot) = jobs.slots.clone().acquire_owned().await else {
        jobs.finish(id, Err(lang.t("writeup_page.failed_internal").to_string()));
        return;
    };
    let outcome = match tokio::spawn(build(state.clone(), id, order)).await {
        Ok(outcome) => outcome,
        Err(e) => {
            tracing::error!(job = %format!("{id:016x}"), error = %e, "report job panicked");
            Err(lang.t("writeup_page.failed_internal").to_string())
        }
    };
    jobs.finish(id, outcome);
}

/// The year's campaign as the statistics page keeps it (read once per campaign generation), so
/// a report's significance tests do not read every report again.
async fn kept_stats(
    state: &AppState,
    order: &Order,
    lang: Lang,
) -> Result<Option<Arc<shanghui_store::statdata::CampaignData>>, AppError> {
    let Some(c) = facts::campaign_for(&state.db, &order.scope, &order.node, order.year).await?
    else {
        return Ok(None);
    };
    Ok(Some(
        state
            .stats
            .data(&state.db, &state.divisions, &c, lang)
            .await?,
    ))
}

/// Gathers the figures, writes the prose and renders each format, recording the stage as it
/// goes. The error is the message for the asker.
async fn build(state: AppState, id: u64, order: Order) -> Result<(), String> {
    let jobs = &state.writeup;
    let lang = order.lang;
    jobs.stage(id, Stage::Gathering, 5);
    let mut years = report_years(&state, order.year)
        .await
        .map_err(|e| data_failed(&e, lang))?;
    years.stats = kept_stats(&state, &order, lang)
        .await
        .map_err(|e| data_failed(&e, lang))?;
    let facts = facts::gather(
        &state.db,
        &order.scope,
        &order.node,
        order.year,
        &years,
        lang,
    )
    .await
    .map_err(|e| data_failed(&AppError::from(e), lang))?;
    jobs.stage(id, Stage::Writing, 30);
    let custom = writeup_templates::current(&state.db, lang)
        .await
        .map_err(|e| data_failed(&AppError::from(e), lang))?;
    let narrative = Narrative::new(lang, &custom).map_err(|p| template_failed(&p, lang))?;
    let doc = compose::compose(&facts, &narrative, lang).map_err(|p| template_failed(&p, lang))?;
    let view = Arc::new(View {
        title: doc.title.clone(),
        subtitle: doc.subtitle.clone(),
        body: html::body(&doc),
    });
    jobs.update(id, |j| j.view = Some(view));
    let doc = Arc::new(doc);
    let n = order.formats.len().max(1);
    for (i, format) in order.formats.iter().copied().enumerate() {
        jobs.stage(id, Stage::Rendering(format), (40 + 60 * i / n) as u8);
        let d = doc.clone();
        // Rendering is CPU work (Typst lays out the PDF): off the async threads.
        let bytes = tokio::task::spawn_blocking(move || shanghui_writeup::render(&d, format))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "rendering a report panicked");
                lang.t("writeup_page.failed_internal").to_string()
            })?
            .map_err(|e| e.render(lang))?;
        let file = JobFile {
            format,
            name: shanghui_writeup::file_name(&order.node.record.name, order.year, lang, format),
            bytes: Bytes::from(bytes),
        };
        jobs.update(id, |j| j.files.push(file));
    }
    Ok(())
}

/// Reading the figures failed: the cause goes to the log, the asker gets a sentence.
fn data_failed(e: &AppError, lang: Lang) -> String {
    tracing::error!(error = %e, "gathering a report's figures failed");
    lang.t("writeup_page.failed_data").to_string()
}

/// A narrative template that does not parse or render, named with its line.
fn template_failed(p: &TemplateProblem, lang: Lang) -> String {
    lang.tf(
        "writeup_page.failed_template",
        &[("problem", &describe(p, lang))],
    )
}

/// "模板“概况”第 2 行：…" for the reader.
fn describe(p: &TemplateProblem, lang: Lang) -> String {
    let title = template_title(&p.name, lang);
    match p.line {
        Some(line) => lang.tf(
            "writeup_page.problem_line",
            &[
                ("name", &title),
                ("line", &line.to_string()),
                ("detail", &p.detail),
            ],
        ),
        None => lang.tf(
            "writeup_page.problem",
            &[("name", &title), ("detail", &p.detail)],
        ),
    }
}

// -------------------------------------------------------------------------------------------------
// The form.

/// Reports are the dashboards' readers': federation staff, not chambers or third parties.
fn require_reader(viewer: &Viewer) -> Result<(), AppError> {
    if viewer.analyses() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn format_label(f: Format, lang: Lang) -> &'static str {
    lang.t(match f {
        Format::Docx => "writeup_page.format.docx",
        Format::Pdf => "writeup_page.format.pdf",
        Format::Html => "writeup_page.format.html",
    })
}

/// Between the items of a list: 、 in Chinese.
fn list_separator(lang: Lang) -> &'static str {
    match lang {
        Lang::ZhCn => "、",
        Lang::En => ", ",
    }
}

fn format_of(ext: &str) -> Option<Format> {
    Format::ALL.into_iter().find(|f| f.extension() == ext)
}

pub struct NodeOption {
    pub id: i64,
    pub name: String,
    pub selected: bool,
}

pub struct FormatBox {
    pub ext: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

pub struct FileLink {
    pub ext: &'static str,
    pub href: String,
    pub label: String,
    pub name: String,
    pub size: String,
}

/// A job as the lists and its page show it.
pub struct JobRow {
    pub href: String,
    pub node: String,
    pub year: i32,
    /// The report's language, named in the reader's.
    pub language: &'static str,
    pub created: String,
    pub stage: &'static str,
    pub class: &'static str,
    pub progress: u8,
    pub formats: String,
    pub files: Vec<FileLink>,
    pub view_href: String,
    pub error: String,
}

fn size(n: usize) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", n.div_ceil(1024))
    }
}

fn job_row(id: u64, j: &Job, lang: Lang) -> JobRow {
    let base = job_path(id);
    let done = j.stage == Stage::Done;
    JobRow {
        href: base.clone(),
        node: j.node_name.clone(),
        year: j.year,
        language: lang_label(j.lang, lang),
        created: local_time(j.created_at),
        stage: j.stage.label(lang),
        class: j.stage.class(),
        progress: j.progress,
        formats: j
            .formats
            .iter()
            .map(|f| format_label(*f, lang))
            .collect::<Vec<_>>()
            .join(list_separator(lang)),
        files: if done {
            j.files
                .iter()
                .map(|f| FileLink {
                    ext: f.format.extension(),
                    href: format!("{base}/file/{}", f.format.extension()),
                    label: format_label(f.format, lang).to_string(),
                    name: f.name.clone(),
                    size: size(f.bytes.len()),
                })
                .collect()
        } else {
            Vec::new()
        },
        view_href: if done && j.view.is_some() {
            format!("{base}/view")
        } else {
            String::new()
        },
        error: j.error.clone().unwrap_or_default(),
    }
}

#[derive(askama::Template, WebTemplate)]
#[template(path = "writeup.html")]
pub struct FormPage {
    pub lang: Lang,
    pub flash: Option<String>,
    pub me: Option<Me>,
    pub csrf: String,
    pub ancestors: Vec<NodeOption>,
    pub here: Vec<NodeOption>,
    pub below: Vec<NodeOption>,
    pub years: Vec<(i32, bool)>,
    pub formats: Vec<FormatBox>,
    /// Field → message.
    pub errors: BTreeMap<&'static str, String>,
    pub general: String,
    pub jobs: Vec<JobRow>,
    pub can_read_templates: bool,
}

impl FormPage {
    pub fn error(&self, field: &str) -> &str {
        self.errors.get(field).map(String::as_str).unwrap_or("")
    }
}

/// What the form shows: the node (with its ancestors in scope and the federations and branches
/// below it, to choose among), the year, the formats ticked, and the messages.
struct Shown<'a> {
    node: &'a Organization,
    year: Option<i32>,
    formats: Vec<Format>,
    errors: BTreeMap<&'static str, String>,
    general: String,
}

async fn form_page(
    state: &AppState,
    viewer: &Viewer,
    lang: Lang,
    csrf: &Token,
    years: Vec<i32>,
    s: Shown<'_>,
) -> Result<FormPage, AppError> {
    let option = |id, name: &str, selected| NodeOption {
        id,
        name: name.to_string(),
        selected,
    };
    let ancestors = orgs::ancestors(&state.db, &viewer.scope, s.node)
        .await?
        .into_iter()
        .map(|(id, name)| option(id, &name, false))
        .collect();
    let below = orgs::children(&state.db, &viewer.scope, s.node)
        .await?
        .into_iter()
        .filter(|c| c.org.record.kind != OrgKind::Chamber)
        .map(|c| option(c.org.id, &c.org.record.name, false))
        .collect();
    Ok(FormPage {
        lang,
        flash: None,
        me: Some(viewer.me(lang, csrf)),
        csrf: csrf.0.clone(),
        ancestors,
        here: vec![option(s.node.id, &s.node.record.name, true)],
        below,
        years: years
            .iter()
            .rev()
            .map(|y| (*y, Some(*y) == s.year))
            .collect(),
        formats: Format::ALL
            .into_iter()
            .map(|f| FormatBox {
                ext: f.extension(),
                label: format_label(f, lang),
                checked: s.formats.contains(&f),
            })
            .collect(),
        errors: s.errors,
        general: s.general,
        jobs: state
            .writeup
            .of(viewer.user.id)
            .iter()
            .map(|(id, j)| job_row(*id, j, lang))
            .collect(),
        can_read_templates: reads_templates(viewer),
    })
}

#[derive(serde::Deserialize, Default)]
pub struct FormQuery {
    node: Option<String>,
    year: Option<String>,
    /// A campaign's page links here with its campaign: its year is the one meant.
    campaign: Option<String>,
}

/// The year a link asks for: `year`, else the campaign's, else the latest offered. A year that
/// is not a year is not found (as on the dashboard); one without data falls back to the latest.
async fn asked_year(
    state: &AppState,
    viewer: &Viewer,
    q: &FormQuery,
    years: &[i32],
) -> Result<Option<i32>, AppError> {
    let latest = years.last().copied();
    if let Some(raw) = q.year.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let y: i32 = raw.parse().map_err(|_| AppError::NotFound)?;
        return Ok(if years.contains(&y) { Some(y) } else { latest });
    }
    if let Some(id) = parse_node(q.campaign.as_deref())? {
        let c = shanghui_store::campaigns::get(&state.db, &viewer.scope, id).await?;
        return Ok(Some(c.year).filter(|y| years.contains(y)).or(latest));
    }
    Ok(latest)
}

/// `GET /writeup?node=…&year=…`: the form, and the reader's recent reports.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    Query(q): Query<FormQuery>,
) -> Result<FormPage, AppError> {
    require_reader(&viewer)?;
    let node = report_node(&state, &viewer, q.node.as_deref()).await?;
    let years = report_years_offered(&state).await?;
    let year = asked_year(&state, &viewer, &q, &years).await?;
    let shown = Shown {
        node: &node,
        year,
        formats: Format::ALL.to_vec(),
        errors: BTreeMap::new(),
        general: String::new(),
    };
    form_page(&state, &viewer, lang, &csrf, years, shown).await
}

/// The form as sent: repeated `format` boxes, so read as pairs.
#[derive(Default)]
struct Sent {
    token: Option<String>,
    node: Option<String>,
    year: Option<String>,
    formats: Vec<String>,
}

impl Sent {
    fn read(pairs: Vec<(String, String)>) -> Sent {
        let mut s = Sent::default();
        for (k, v) in pairs {
            match k.as_str() {
                FIELD => s.token = Some(v),
                "node" => s.node = Some(v),
                "year" => s.year = Some(v),
                "format" => s.formats.push(v),
                _ => {}
            }
        }
        s
    }
}

/// `POST /writeup`: checks the node (in scope), the year (one offered) and the formats (at least
/// one), starts the job and sends the reader to its page. Problems show the form again, each at
/// its field.
pub async fn start(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    Posted(pairs): Posted<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    require_reader(&viewer)?;
    let sent = Sent::read(pairs);
    check(&csrf, sent.token.as_deref())?;
    let years = report_years_offered(&state).await?;
    let mut errors: BTreeMap<&'static str, String> = BTreeMap::new();
    let node = match sent
        .node
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => {
            errors.insert("node", lang.t("writeup_page.err.node_required").into());
            None
        }
        Some(raw) => match raw.parse::<i64>() {
            Ok(id) => orgs::get(&state.db, &viewer.scope, id).await?,
            Err(_) => None,
        }
        .or_else(|| {
            errors.insert("node", lang.t("writeup_page.err.node_unknown").into());
            None
        }),
    };
    let year = sent
        .year
        .as_deref()
        .and_then(|y| y.trim().parse::<i32>().ok())
        .filter(|y| years.contains(y));
    if year.is_none() {
        errors.insert("year", lang.t("writeup_page.err.year").into());
    }
    let formats: Vec<Format> = Format::ALL
        .into_iter()
        .filter(|f| sent.formats.iter().any(|s| s == f.extension()))
        .collect();
    if formats.is_empty() {
        errors.insert("formats", lang.t("writeup_page.err.formats").into());
    }
    let (Some(node), Some(year), true) = (node.clone(), year, errors.is_empty()) else {
        let shown_node = match node {
            Some(n) => n,
            None => report_node(&state, &viewer, None).await?,
        };
        let shown = Shown {
            node: &shown_node,
            year,
            formats,
            errors,
            general: lang.t("writeup_page.err.summary").to_string(),
        };
        let page = form_page(&state, &viewer, lang, &csrf, years, shown).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let job = Job {
        owner: viewer.user.id,
        node_id: node.id,
        node_name: node.record.name.clone(),
        year,
        lang,
        formats: formats.clone(),
        created_at: Utc::now(),
        finished_at: None,
        stage: Stage::Queued,
        progress: 0,
        files: Vec::new(),
        view: None,
        error: None,
    };
    let Some(id) = state.writeup.add(job) else {
        // Every kept job is still queued or running: the server has enough to do.
        let shown = Shown {
            node: &node,
            year: Some(year),
            formats,
            errors: BTreeMap::new(),
            general: lang.t("writeup_page.err.busy").to_string(),
        };
        let page = form_page(&state, &viewer, lang, &csrf, years, shown).await?;
        return Ok((StatusCode::SERVICE_UNAVAILABLE, page).into_response());
    };
    let detail = serde_json::json!({
        "job": format!("{id:016x}"),
        "node": node.record.name,
        "year": year,
        "lang": lang.tag(),
        "formats": formats.iter().map(|f| f.extension()).collect::<Vec<_>>(),
    });
    audit::record(
        &state.db,
        &viewer.actor,
        "writeup.build",
        Some((node.id, node.path.as_str())),
        &detail,
    )
    .await?;
    let order = Order {
        scope: viewer.scope.clone(),
        node,
        year,
        lang,
        formats,
    };
    tokio::spawn(run(state.clone(), id, order));
    Ok(Redirect::to(&job_path(id)).into_response())
}

// -------------------------------------------------------------------------------------------------
// A job's pages and files.

/// The reader's job from the path; anyone else's, or one that is gone, is not found.
fn own_job(state: &AppState, viewer: &Viewer, raw: &str) -> Result<(u64, Job), AppError> {
    require_reader(viewer)?;
    let id = parse_job(raw).ok_or(AppError::NotFound)?;
    let job = state
        .writeup
        .owned(id, viewer.user.id)
        .ok_or(AppError::NotFound)?;
    Ok((id, job))
}

#[derive(askama::Template, WebTemplate)]
#[template(path = "writeup_job.html")]
pub struct JobPage {
    pub lang: Lang,
    pub flash: Option<String>,
    pub me: Option<Me>,
    pub job: JobRow,
    /// Still queued or running: the page refreshes itself.
    pub refresh: bool,
    pub again_href: String,
}

/// `GET /writeup/jobs/{job}`: the stage and a progress bar while it runs (the page reloads every
/// second, no script needed); then the files, or why it failed.
pub async fn job_page(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    path: Result<Path<String>, PathRejection>,
) -> Result<JobPage, AppError> {
    let Path(raw) = path.map_err(|_| AppError::NotFound)?;
    let (id, job) = own_job(&state, &viewer, &raw)?;
    Ok(JobPage {
        lang,
        flash: None,
        me: Some(viewer.me(lang, &csrf)),
        refresh: !job.stage.finished(),
        again_href: format!("/writeup?node={}&year={}", job.node_id, job.year),
        job: job_row(id, &job, lang),
    })
}

/// `GET /writeup/jobs/{job}/file/{ext}`: one of the files, as an attachment under its (Chinese)
/// name.
pub async fn file(
    State(state): State<AppState>,
    viewer: Viewer,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, AppError> {
    let Path((raw, ext)) = path.map_err(|_| AppError::NotFound)?;
    let (_, job) = own_job(&state, &viewer, &raw)?;
    let format = format_of(&ext).ok_or(AppError::NotFound)?;
    let f = job
        .files
        .iter()
        .find(|f| f.format == format && job.stage == Stage::Done)
        .ok_or(AppError::NotFound)?;
    let fallback = format!("report-{}.{}", job.year, format.extension());
    Ok((
        [
            (CONTENT_TYPE, format.content_type().to_string()),
            (CONTENT_DISPOSITION, attachment(&f.name, &fallback)),
            // The report is the reader's: no shared cache keeps it.
            (CACHE_CONTROL, "private, no-store".to_string()),
        ],
        f.bytes.clone(),
    )
        .into_response())
}

#[derive(askama::Template, WebTemplate)]
#[template(path = "writeup_view.html")]
pub struct ViewPage {
    pub lang: Lang,
    pub flash: Option<String>,
    pub me: Option<Me>,
    pub job: JobRow,
    pub title: String,
    pub subtitle: Vec<String>,
    /// The report's HTML (escaped by the writeup crate; its charts are its own SVG).
    pub body: String,
}

/// `GET /writeup/jobs/{job}/view`: the finished report inside the site, styled by
/// `/static/writeup.css`.
pub async fn view(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    path: Result<Path<String>, PathRejection>,
) -> Result<ViewPage, AppError> {
    let Path(raw) = path.map_err(|_| AppError::NotFound)?;
    let (id, job) = own_job(&state, &viewer, &raw)?;
    let v = job
        .view
        .clone()
        .filter(|_| job.stage == Stage::Done)
        .ok_or(AppError::NotFound)?;
    Ok(ViewPage {
        lang,
        flash: None,
        me: Some(viewer.me(lang, &csrf)),
        job: job_row(id, &job, lang),
        title: v.title.clone(),
        subtitle: v.subtitle.clone(),
        body: v.body.clone(),
    })
}

/// `GET /static/writeup.css`: the report's styles (all under `.writeup`), a file of its own
/// because the site's policy allows no inline styles.
pub async fn stylesheet() -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/css; charset=utf-8")], html::CSS)
}

// -------------------------------------------------------------------------------------------------
// The narrative templates.

/// Those who make reports may read which templates are customised; editing is for rule managers.
fn reads_templates(viewer: &Viewer) -> bool {
    viewer.analyses() || viewer.can(Permission::ManageRules)
}

fn template_title(name: &str, lang: Lang) -> String {
    lang.t(&format!("writeup_page.tpl.{name}")).to_string()
}

fn lang_label(l: Lang, lang: Lang) -> &'static str {
    lang.t(match l {
        Lang::ZhCn => "writeup_page.lang.zh",
        Lang::En => "writeup_page.lang.en",
    })
}

pub struct TemplateRow {
    pub name: &'static str,
    pub title: String,
    pub description: String,
    /// Per language: (tag, language's name, customised, edit link).
    pub langs: Vec<(&'static str, &'static str, bool, String)>,
}

#[derive(askama::Template, WebTemplate)]
#[template(path = "writeup_templates.html")]
pub struct TemplatesPage {
    pub lang: Lang,
    pub flash: Option<String>,
    pub me: Option<Me>,
    pub rows: Vec<TemplateRow>,
    /// The languages' names, a column each.
    pub languages: Vec<&'static str>,
    pub can_edit: bool,
}

#[derive(serde::Deserialize, Default)]
pub struct TemplatesQuery {
    done: Option<String>,
    lang: Option<String>,
    name: Option<String>,
}

fn edit_href(l: Lang, name: &str) -> String {
    format!("/writeup/templates/edit?lang={}&name={name}", l.tag())
}

/// The flash after a save or a reset, naming the template and its language.
fn templates_flash(q: &TemplatesQuery, lang: Lang) -> Option<String> {
    let name = q.name.as_deref().filter(|n| narrative::NAMES.contains(n))?;
    let l = Lang::from_tag(q.lang.as_deref()?)?;
    let key = match q.done.as_deref()? {
        "saved" => "writeup_page.flash_saved",
        "reset" => "writeup_page.flash_reset",
        "unchanged" => "writeup_page.flash_unchanged",
        _ => return None,
    };
    Some(lang.tf(
        key,
        &[
            ("name", &template_title(name, lang)),
            ("lang", lang_label(l, lang)),
        ],
    ))
}

/// `GET /writeup/templates`: every template, what it writes, and whether staff changed it.
pub async fn templates(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    Query(q): Query<TemplatesQuery>,
) -> Result<TemplatesPage, AppError> {
    if !reads_templates(&viewer) {
        return Err(AppError::Forbidden);
    }
    let mut custom = HashMap::new();
    for l in Lang::ALL {
        custom.insert(l, writeup_templates::current(&state.db, l).await?);
    }
    let rows = narrative::NAMES
        .iter()
        .map(|&name| TemplateRow {
            name,
            title: template_title(name, lang),
            description: lang.t(&format!("writeup_page.tpl_help.{name}")).to_string(),
            langs: Lang::ALL
                .into_iter()
                .map(|l| {
                    let changed = custom.get(&l).is_some_and(|c| c.contains_key(name));
                    (l.tag(), lang_label(l, lang), changed, edit_href(l, name))
                })
                .collect(),
        })
        .collect();
    Ok(TemplatesPage {
        lang,
        flash: templates_flash(&q, lang),
        me: Some(viewer.me(lang, &csrf)),
        rows,
        languages: Lang::ALL.into_iter().map(|l| lang_label(l, lang)).collect(),
        can_edit: viewer.can(Permission::ManageRules),
    })
}

pub struct VersionRow {
    pub version: i64,
    pub when: String,
    pub by: String,
    /// Empty when the version put the default back.
    pub body: String,
    pub reset: bool,
}

#[derive(askama::Template, WebTemplate)]
#[template(path = "writeup_template_edit.html")]
pub struct TemplateEditPage {
    pub lang: Lang,
    pub flash: Option<String>,
    pub me: Option<Me>,
    pub csrf: String,
    pub tag: &'static str,
    pub language: &'static str,
    pub name: &'static str,
    pub title: String,
    pub description: String,
    pub source: String,
    pub customised: bool,
    pub error: String,
    /// (variable, what it holds).
    pub variables: Vec<(String, String)>,
    pub filters: String,
    /// The sample figures templates are checked against, as JSON.
    pub sample: String,
    pub versions: Vec<VersionRow>,
}

/// The template `name` in `tag` (a known one), else not found.
fn which(
    tag: Option<&str>,
    name: Option<&str>,
    reader: Lang,
) -> Result<(Lang, &'static str), AppError> {
    let l = match tag.map(str::trim).filter(|t| !t.is_empty()) {
        None => reader,
        Some(t) => Lang::from_tag(t).ok_or(AppError::NotFound)?,
    };
    let name = match name.map(str::trim).filter(|n| !n.is_empty()) {
        None => narrative::NAMES[0],
        Some(n) => narrative::NAMES
            .iter()
            .copied()
            .find(|x| *x == n)
            .ok_or(AppError::NotFound)?,
    };
    Ok((l, name))
}

/// The variables a template reads: the facts' top-level fields, and the extra one of the
/// significance and recommendation templates.
fn variables(name: &str, lang: Lang) -> Vec<(String, String)> {
    let mut keys = vec![
        "node",
        "year",
        "last_year",
        "produced_on",
        "lang",
        "campaign",
        "overview",
        "children",
        "indicators",
        "review",
        "conclusions",
        "rectify",
        "recommendations",
        "trend",
        "appendix",
    ];
    if name == "significance" {
        keys.insert(0, "test");
    } else if name.starts_with("rec_") {
        keys.insert(0, "r");
    }
    keys.into_iter()
        .map(|k| {
            (
                k.to_string(),
                lang.t(&format!("writeup_page.var.{k}")).to_string(),
            )
        })
        .collect()
}

struct Editing {
    tlang: Lang,
    name: &'static str,
    source: String,
    error: String,
}

async fn edit_page(
    state: &AppState,
    viewer: &Viewer,
    lang: Lang,
    csrf: &Token,
    e: Editing,
) -> Result<TemplateEditPage, AppError> {
    let customised = writeup_templates::current(&state.db, e.tlang)
        .await?
        .contains_key(e.name);
    let versions = writeup_templates::history(&state.db, e.tlang, e.name)
        .await?
        .into_iter()
        .map(|v| VersionRow {
            version: v.version,
            when: local_time(v.created_at),
            by: v.created_by,
            reset: v.body.is_none(),
            body: v.body.unwrap_or_default(),
        })
        .collect();
    let sample = serde_json::to_string_pretty(&facts::sample(e.tlang)).unwrap_or_default();
    Ok(TemplateEditPage {
        lang,
        flash: None,
        me: Some(viewer.me(lang, csrf)),
        csrf: csrf.0.clone(),
        tag: e.tlang.tag(),
        language: lang_label(e.tlang, lang),
        name: e.name,
        title: template_title(e.name, lang),
        description: lang
            .t(&format!("writeup_page.tpl_help.{}", e.name))
            .to_string(),
        source: e.source,
        customised,
        error: e.error,
        variables: variables(e.name, lang),
        filters: lang.t("writeup_page.filters").to_string(),
        sample,
        versions,
    })
}

#[derive(serde::Deserialize, Default)]
pub struct EditQuery {
    lang: Option<String>,
    name: Option<String>,
}

/// `GET /writeup/templates/edit?lang=zh-CN&name=overview`: the template's current source (staff's
/// or the default), what it may use, and its versions.
pub async fn template_edit(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    Query(q): Query<EditQuery>,
) -> Result<TemplateEditPage, AppError> {
    viewer.require(Permission::ManageRules)?;
    let (tlang, name) = which(q.lang.as_deref(), q.name.as_deref(), lang)?;
    let source = current_source(&state, tlang, name).await?;
    let e = Editing {
        tlang,
        name,
        source,
        error: String::new(),
    };
    edit_page(&state, &viewer, lang, &csrf, e).await
}

/// Staff's version of the template, else the shipped one.
async fn current_source(state: &AppState, tlang: Lang, name: &str) -> Result<String, AppError> {
    Ok(writeup_templates::current(&state.db, tlang)
        .await?
        .remove(name)
        .unwrap_or_else(|| {
            narrative::default_source(tlang, name)
                .unwrap_or_default()
                .to_string()
        }))
}

#[derive(serde::Deserialize)]
pub struct EditForm {
    #[serde(rename = "_csrf")]
    token: Option<String>,
    lang: Option<String>,
    name: Option<String>,
    source: Option<String>,
}

/// The template a form names; a form without one is malformed.
fn named(form: &EditForm) -> Result<(Lang, &'static str), AppError> {
    let l = form
        .lang
        .as_deref()
        .and_then(Lang::from_tag)
        .ok_or(AppError::BadRequest)?;
    let name = narrative::NAMES
        .iter()
        .copied()
        .find(|n| Some(*n) == form.name.as_deref())
        .ok_or(AppError::BadRequest)?;
    Ok((l, name))
}

/// Whether `source` may replace template `name`: it parses and renders over the sample figures
/// of a full year, and, for a template every report uses, of a first year without a campaign
/// (where most figures are missing).
fn validate(tlang: Lang, name: &str, source: &str) -> Result<(), TemplateProblem> {
    narrative::check(tlang, name, source, &facts::sample(tlang))?;
    if ALWAYS_RENDERED.contains(&name) {
        narrative::check(tlang, name, source, &facts::sample_first_year(tlang))?;
    }
    Ok(())
}

/// `POST /writeup/templates/edit`: checks the template and saves it as a new version; a template
/// that fails shows the form again with the problem and its line, and nothing is saved.
pub async fn template_save(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    Posted(form): Posted<EditForm>,
) -> Result<Response, AppError> {
    viewer.require(Permission::ManageRules)?;
    check(&csrf, form.token.as_deref())?;
    let (tlang, name) = named(&form)?;
    // Browsers send a textarea's line breaks as CRLF.
    let source = form
        .source
        .clone()
        .unwrap_or_default()
        .replace("\r\n", "\n");
    let error = if source.trim().is_empty() {
        lang.t("writeup_page.err.empty").to_string()
    } else {
        match validate(tlang, name, &source) {
            Ok(()) => String::new(),
            Err(p) => describe(&p, lang),
        }
    };
    if !error.is_empty() {
        let e = Editing {
            tlang,
            name,
            source,
            error,
        };
        let page = edit_page(&state, &viewer, lang, &csrf, e).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let done = if current_source(&state, tlang, name).await? == source {
        "unchanged"
    } else {
        writeup_templates::save(&state.db, tlang, name, Some(&source), &viewer.actor).await?;
        "saved"
    };
    Ok(Redirect::to(&format!(
        "/writeup/templates?done={done}&lang={}&name={name}#tpl-{name}",
        tlang.tag()
    ))
    .into_response())
}

/// `POST /writeup/templates/reset`: the shipped template again (a version without a body, so
/// the history keeps what staff had written).
pub async fn template_reset(
    State(state): State<AppState>,
    viewer: Viewer,
    Extension(csrf): Extension<Token>,
    Posted(form): Posted<EditForm>,
) -> Result<Response, AppError> {
    viewer.require(Permission::ManageRules)?;
    check(&csrf, form.token.as_deref())?;
    let (tlang, name) = named(&form)?;
    let customised = writeup_templates::current(&state.db, tlang)
        .await?
        .contains_key(name);
    let done = if customised {
        writeup_templates::save(&state.db, tlang, name, None, &viewer.actor).await?;
        "reset"
    } else {
        "unchanged"
    };
    Ok(Redirect::to(&format!(
        "/writeup/templates?done={done}&lang={}&name={name}#tpl-{name}",
        tlang.tag()
    ))
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_templates_pass_the_checks() {
        for lang in Lang::ALL {
            for name in narrative::NAMES {
                let source = narrative::default_source(lang, name).unwrap();
                if let Err(p) = validate(lang, name, source) {
                    panic!("{}/{name}: {p}", lang.tag());
                }
            }
        }
    }

    #[test]
    fn a_broken_template_is_refused_with_its_line() {
        let p = validate(Lang::ZhCn, "overview", "第一行\n{% if %}").unwrap_err();
        assert_eq!(p.line, Some(2), "{p}");
        assert!(describe(&p, Lang::ZhCn).contains("第 2 行"));
    }

    #[test]
    fn a_template_that_ignores_a_missing_review_is_refused() {
        let p = validate(Lang::ZhCn, "overview", "{{ review.share | pct }}").unwrap_err();
        assert_eq!(p.name, "overview");
    }

    #[test]
    fn job_ids_round_trip_and_refuse_junk() {
        let id = 0x0123_4567_89ab_cdef;
        assert_eq!(parse_job(&job_path(id)["/writeup/jobs/".len()..]), Some(id));
        assert_eq!(parse_job("1"), None);
        assert_eq!(parse_job("zzzzzzzzzzzzzzzz"), None);
    }

    fn job(owner: i64, finished: Option<Instant>) -> Job {
        Job {
            owner,
            node_id: 1,
            node_name: String::new(),
            year: 2024,
            lang: Lang::ZhCn,
            formats: vec![Format::Html],
            created_at: Utc::now(),
            finished_at: finished,
            stage: if finished.is_some() {
                Stage::Done
            } else {
                Stage::Queued
            },
            progress: 0,
            files: Vec::new(),
            view: None,
            error: None,
        }
    }

    #[test]
    fn finished_jobs_go_first_and_running_ones_stay() {
        let jobs = WriteupJobs::default();
        let now = Instant::now();
        let first = jobs.add(job(1, Some(now))).unwrap();
        for _ in 1..MAX_JOBS {
            assert!(jobs.add(job(1, None)).is_some());
        }
        // Full: the finished one makes room for one more; then nothing can.
        assert!(jobs.add(job(2, None)).is_some());
        assert!(jobs.owned(first, 1).is_none());
        assert!(jobs.add(job(2, None)).is_none());
        assert_eq!(jobs.lock().len(), MAX_JOBS);
    }

    #[test]
    fn a_job_is_its_owners_only() {
        let jobs = WriteupJobs::default();
        let id = jobs.add(job(7, None)).unwrap();
        assert!(jobs.owned(id, 7).is_some());
        assert!(jobs.owned(id, 8).is_none());
        assert_eq!(jobs.of(7).len(), 1);
        assert!(jobs.of(8).is_empty());
    }
}
