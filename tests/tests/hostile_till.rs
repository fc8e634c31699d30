//! A till that forges another actor, writes another store's stock, skips
//! seqs or sends impossible quantities is refused with a clear error frame;
//! nothing of what it sent is stored, and the hub keeps serving everyone else.

use storelink_tests::{PRODUCTS, RawSync, START_STOCK, SmallChain, enrol_device};
use sync_proto::wire::{ErrorCode, Frame, Hello, Push};
use sync_proto::{ActorId, Hlc, LocationId, Op, OpBody, StockMove, StockReason};

const TEE: &str = PRODUCTS[0].0;

fn stock_move(
    actor: ActorId,
    seq: u64,
    scope: &str,
    location: &str,
    delta: i64,
    dec_total: u64,
) -> Op {
    Op {
        actor,
        seq,
        hlc: Hlc {
            wall_ms: 1_700_000_000_000 + seq,
            counter: 0,
            actor,
        },
        scope: scope.parse().expect("scope"),
        body: OpBody::StockMove(StockMove {
            location: location.parse::<LocationId>().expect("location"),
            sku: TEE.parse().expect("sku"),
            delta,
            reason: StockReason::Sale,
            reference: None,
            inc_total: 0,
            dec_total,
        }),
    }
}

async fn connected(url: &str, cred: &str, actor: ActorId) -> anyhow::Result<RawSync> {
    let mut ws = RawSync::connect(url, cred).await?;
    ws.send(&Frame::Hello(Hello {
        actor,
        last_seq: 0,
        cursor: 0,
        app_version: "raw".into(),
    }))
    .await?;
    ws.recv_until(|f| matches!(f, Frame::Welcome(_))).await?;
    Ok(ws)
}

async fn push_refused(url: &str, cred: &str, actor: ActorId, op: Op) -> anyhow::Result<ErrorCode> {
    let mut ws = connected(url, cred, actor).await?;
    ws.send(&Frame::Push(Push { ops: vec![op] })).await?;
    let refusal = ws.refusal().await?;
    refusal
        .code()
        .ok_or_else(|| anyhow::anyhow!("closed without an error frame: {refusal:?}"))
}

#[test]
fn forged_and_foreign_ops_are_refused_and_the_hub_keeps_serving() -> anyhow::Result<()> {
    let chain = SmallChain::start()?;
    let a = enrol_device(&chain.hub, &chain.api, "GN01")?;
    let b = enrol_device(&chain.hub, &chain.api, "GN01")?;
    let honest = chain.till("honest", "HD02")?;
    let url = chain.hub.url();
    let me = a.actor;
    let gn = "store:GN01";

    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        // Hello claiming another till's actor.
        let mut ws = RawSync::connect(&url, &a.credential).await?;
        ws.send(&Frame::Hello(Hello {
            actor: b.actor,
            last_seq: 0,
            cursor: 0,
            app_version: "raw".into(),
        }))
        .await?;
        assert_eq!(ws.refusal().await?.code(), Some(ErrorCode::ForgedActor));

        // Ops written in another actor's name.
        let forged = stock_move(b.actor, 1, gn, "GN01", -1, 1);
        assert_eq!(
            push_refused(&url, &a.credential, me, forged).await?,
            ErrorCode::ForgedActor
        );

        // Another store's scope, and another store's stock under our scope.
        let foreign_scope = stock_move(me, 1, "store:HD02", "HD02", -1, 1);
        assert_eq!(
            push_refused(&url, &a.credential, me, foreign_scope).await?,
            ErrorCode::WrongStore
        );
        let foreign_stock = stock_move(me, 1, gn, "HD02", -1, 1);
        assert_eq!(
            push_refused(&url, &a.credential, me, foreign_stock).await?,
            ErrorCode::WrongStore
        );

        // Out-of-range quantity, and totals that do not continue the counter.
        let huge = stock_move(me, 1, gn, "GN01", -2_000_000, 2_000_000);
        assert_eq!(
            push_refused(&url, &a.credential, me, huge).await?,
            ErrorCode::InvalidOp
        );
        let forged_totals = stock_move(me, 1, gn, "GN01", -1, 50);
        assert_eq!(
            push_refused(&url, &a.credential, me, forged_totals).await?,
            ErrorCode::InvalidOp
        );

        // A gap in the seq.
        let gap = stock_move(me, 5, gn, "GN01", -1, 1);
        assert_eq!(
            push_refused(&url, &a.credential, me, gap).await?,
            ErrorCode::SequenceGap
        );

        // A batch with one bad op stores none of it: the good first op is not acked.
        let mut ws = connected(&url, &a.credential, me).await?;
        let good = stock_move(me, 1, gn, "GN01", -1, 1);
        let bad = stock_move(me, 2, "store:HD02", "HD02", -1, 1);
        ws.send(&Frame::Push(Push {
            ops: vec![good.clone(), bad],
        }))
        .await?;
        assert_eq!(ws.refusal().await?.code(), Some(ErrorCode::WrongStore));

        // After all that, the same device pushing honestly is accepted from seq 1.
        let mut ws = connected(&url, &a.credential, me).await?;
        ws.send(&Frame::Push(Push { ops: vec![good] })).await?;
        let ack = ws.recv_until(|f| matches!(f, Frame::Ack(_))).await?;
        assert_eq!(ack, Frame::Ack(sync_proto::wire::Ack { up_to_seq: 1 }));
        anyhow::Ok(())
    })?;

    // Nothing of the refused ops was stored; the honest op was.
    assert_eq!(chain.api.stock_at(TEE, "HD02")?, START_STOCK);
    assert_eq!(chain.api.stock_at(TEE, "GN01")?, START_STOCK - 1);

    // Another till kept working all along.
    honest.sell(&[TEE])?;
    honest.sync()?;
    assert_eq!(chain.api.stock_at(TEE, "HD02")?, START_STOCK - 1);
    Ok(())
}
