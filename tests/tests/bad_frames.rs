//! Malformed, truncated, oversized and wrong-version frames, text frames,
//! frames out of order and wrong credentials get clear refusals — no panic,
//! no damage: the hub stays healthy and keeps syncing other tills.

use storelink_tests::{PRODUCTS, RawSync, Refusal, START_STOCK, SmallChain, enrol_device};
use sync_proto::wire::{self, ErrorCode, Frame, Hello, MAX_FRAME_BYTES, Push};

const TEE: &str = PRODUCTS[0].0;

#[test]
fn bad_frames_get_clear_errors_and_harm_nothing() -> anyhow::Result<()> {
    let chain = SmallChain::start()?;
    let dev = enrol_device(&chain.hub, &chain.api, "GN01")?;
    let url = chain.hub.url();
    let hello = Frame::Hello(Hello {
        actor: dev.actor,
        last_seq: 0,
        cursor: 0,
        app_version: "raw".into(),
    });

    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let cred = &dev.credential;

        let mut ws = RawSync::connect(&url, cred).await?;
        ws.send_bytes(b"\xc1 this is not messagepack".to_vec())
            .await?;
        assert_eq!(ws.refusal().await?.code(), Some(ErrorCode::Malformed));

        let full = wire::encode(&hello)?;
        let mut ws = RawSync::connect(&url, cred).await?;
        ws.send_bytes(full[..full.len() / 2].to_vec()).await?;
        assert_eq!(ws.refusal().await?.code(), Some(ErrorCode::Malformed));

        let mut ws = RawSync::connect(&url, cred).await?;
        ws.send_bytes(wire::encode_with_version(&hello, 99)?)
            .await?;
        match ws.refusal().await? {
            Refusal::Error(ErrorCode::UnsupportedVersion, msg) => {
                assert!(msg.contains("99"), "names the version: {msg}")
            }
            other => panic!("expected UnsupportedVersion, got {other:?}"),
        }

        let mut ws = RawSync::connect(&url, cred).await?;
        ws.send_text("{\"hello\": true}").await?;
        assert_eq!(ws.refusal().await?.code(), Some(ErrorCode::Malformed));

        let mut ws = RawSync::connect(&url, cred).await?;
        ws.send(&Frame::Push(Push { ops: vec![] })).await?;
        assert_eq!(
            ws.refusal().await?.code(),
            Some(ErrorCode::ProtocolViolation)
        );

        let mut ws = RawSync::connect(&url, cred).await?;
        let _ = ws.send_bytes(vec![0x90; MAX_FRAME_BYTES + 1]).await;
        match ws.refusal().await? {
            Refusal::Error(code, _) => assert_eq!(code, ErrorCode::FrameTooLarge),
            // The WebSocket layer may close with 1009 "message too big" first.
            Refusal::Closed(code) => {
                assert!(matches!(code, Some(1009) | None), "close code {code:?}")
            }
        }

        assert!(
            RawSync::connect(&url, "not-a-credential").await.is_err(),
            "wrong credential refused"
        );
        anyhow::Ok(())
    })?;

    let health = reqwest::blocking::get(format!("{url}/healthz"))?;
    assert!(health.status().is_success());
    let till = chain.till("t1", "GN01")?;
    till.sell(&[TEE])?;
    till.sync()?;
    assert_eq!(chain.api.stock_at(TEE, "GN01")?, START_STOCK - 1);

    // Wrong credentials on the REST side get a JSON error too.
    let resp = reqwest::blocking::Client::new()
        .get(format!("{url}/api/v1/tills"))
        .bearer_auth("nope")
        .send()?;
    assert_eq!(resp.status().as_u16(), 401);
    let body: serde_json::Value = resp.json()?;
    assert!(
        body["error"]["message"].is_string(),
        "clear JSON error: {body}"
    );
    Ok(())
}
