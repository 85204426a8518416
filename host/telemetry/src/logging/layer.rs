//! The `tracing` layer: turns spans and events into [`LogRecord`]s and hands each to every sink.

use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use super::record::{FieldCollector, LogRecord, SpanFields};
use crate::redact::redact_text;

/// Something that receives every log record (console, syslog, KillKrill). Must not block.
pub(crate) trait Sink: Send + Sync + 'static {
    fn emit(&self, record: &LogRecord);
}

/// Layer that captures span fields and dispatches events to the sinks.
pub struct TelemetryLayer {
    sinks: Vec<Box<dyn Sink>>,
}

impl TelemetryLayer {
    pub(crate) fn new(sinks: Vec<Box<dyn Sink>>) -> Self {
        Self { sinks }
    }
}

impl<S> Layer<S> for TelemetryLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut collector = FieldCollector::default();
        attrs.record(&mut collector);
        span.extensions_mut().insert(SpanFields(collector.fields));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut collector = FieldCollector::default();
        values.record(&mut collector);
        let mut extensions = span.extensions_mut();
        match extensions.get_mut::<SpanFields>() {
            Some(fields) => fields.0.extend(collector.fields),
            None => extensions.insert(SpanFields(collector.fields)),
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut collector = FieldCollector::default();
        event.record(&mut collector);
        // Events bridged from the `log` crate carry their real target in `log.*` fields.
        let normalized = event.normalized_metadata();
        let metadata = normalized.as_ref().unwrap_or_else(|| event.metadata());
        let mut record = LogRecord {
            timestamp: chrono::Utc::now(),
            level: *metadata.level(),
            target: metadata.target().to_owned(),
            message: redact_text(&collector.message.unwrap_or_default()),
            fields: collector.fields,
            span_fields: Default::default(),
            spans: Vec::new(),
        };
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                record.spans.push(span.name());
                if let Some(fields) = span.extensions().get::<SpanFields>() {
                    record
                        .span_fields
                        .extend(fields.0.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
            }
        }
        for sink in &self.sinks {
            sink.emit(&record);
        }
    }
}
