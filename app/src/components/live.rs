//! Live updates in the browser: an `EventSource` on `GET /api/v1/stream` for as long as the
//! component that asked for it lives. The stream says what changed (never the content); the
//! page refetches what it shows, under the reader's own permissions. The browser reconnects
//! by itself and sends `Last-Event-ID`, so nothing is missed across a reconnect.

use leptos::prelude::*;

use crate::domain::live::{LiveData, LiveKind};

/// One event of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveMessage {
    pub kind: LiveKind,
    pub data: LiveData,
    /// Counts the events this page received, so two equal events still differ.
    pub seq: u64,
}

/// Subscribes to `topics` (as `GET /api/v1/stream?topics=` takes them; `None` for none) and
/// returns the last event received. The topics are tracked: when they change (another
/// incident opened in the same page) the old stream closes and a new one opens. On the
/// server the signal stays `None`.
pub fn use_live(
    topics: impl Fn() -> Option<String> + Send + Sync + 'static,
) -> ReadSignal<Option<LiveMessage>> {
    let (last, set_last) = signal(None::<LiveMessage>);
    #[cfg(feature = "hydrate")]
    browser::subscribe(topics, set_last);
    #[cfg(not(feature = "hydrate"))]
    let _ = (topics, set_last);
    last
}

/// A counter that moves on every event [`use_live`] receives for which `wanted` holds: what a
/// resource adds to its source to refetch on a change.
pub fn live_ticks(
    live: ReadSignal<Option<LiveMessage>>,
    wanted: impl Fn(&LiveMessage) -> bool + Send + Sync + 'static,
) -> Memo<u64> {
    let count = RwSignal::new(0u64);
    Effect::new(move |_| {
        if live.with(|m| m.as_ref().is_some_and(&wanted)) {
            count.update(|n| *n += 1);
        }
    });
    Memo::new(move |_| count.get())
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use send_wrapper::SendWrapper;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{EventSource, MessageEvent};

    use super::LiveMessage;
    use crate::domain::live::{LiveData, LiveKind};

    struct Stream {
        source: EventSource,
        // Kept alive as long as the source; dropped after it is closed.
        _listeners: Vec<Closure<dyn FnMut(MessageEvent)>>,
    }

    impl Stream {
        fn open(topics: &str, set: WriteSignal<Option<LiveMessage>>) -> Option<Self> {
            let source = EventSource::new(&format!("/api/v1/stream?topics={topics}")).ok()?;
            let mut seq = 0u64;
            let mut listeners = Vec::new();
            for &kind in LiveKind::ALL {
                let cb = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
                    let Some(text) = ev.data().as_string() else {
                        return;
                    };
                    if let Ok(data) = serde_json::from_str::<LiveData>(&text) {
                        seq += 1;
                        set.try_set(Some(LiveMessage { kind, data, seq }));
                    }
                });
                source
                    .add_event_listener_with_callback(kind.as_str(), cb.as_ref().unchecked_ref())
                    .ok()?;
                listeners.push(cb);
            }
            Some(Self {
                source,
                _listeners: listeners,
            })
        }
    }

    impl Drop for Stream {
        fn drop(&mut self) {
            self.source.close();
        }
    }

    pub(super) fn subscribe(
        topics: impl Fn() -> Option<String> + Send + Sync + 'static,
        set: WriteSignal<Option<LiveMessage>>,
    ) {
        let current: StoredValue<Option<SendWrapper<Stream>>> = StoredValue::new(None);
        // Moves when the page comes back from the back/forward cache: the stream reopens.
        let shown = RwSignal::new(0u32);
        Effect::new(move |_| {
            shown.track();
            let wanted = topics();
            current.update_value(|c| {
                *c = None; // closes the old stream first
                *c = wanted
                    .and_then(|t| Stream::open(&t, set))
                    .map(SendWrapper::new);
            });
        });
        // A page the browser keeps in its back/forward cache would keep its stream's
        // connection open, and browsers allow six per host over HTTP/1.1: a few pages back
        // and forth and no new page could load. Close it as the page is hidden; reopen it if
        // the page is shown again from the cache.
        let hide = window_event_listener_untyped("pagehide", move |_| {
            current.try_update_value(|c| *c = None);
        });
        let show = window_event_listener_untyped("pageshow", move |ev| {
            let persisted = ev
                .dyn_ref::<web_sys::PageTransitionEvent>()
                .is_some_and(web_sys::PageTransitionEvent::persisted);
            if persisted {
                shown.try_update(|n| *n += 1);
            }
        });
        on_cleanup(move || {
            hide.remove();
            show.remove();
            current.try_update_value(|c| *c = None);
        });
    }
}
