@calico @rollback @round-trip
Feature: The Calico round trip on every etcd line storeshift runs
  A cluster's Calico etcd may be 3.4, 3.5 or 3.6; the migration and its rollback must not care.
  The 3.5 row needs storeshift's etcd 3.5 build (`storeshift install --tool etcd-3.5`); without it
  the row is not run, with the reason.

  Scenario Outline: migrate then roll back on etcd <version>: the raw keyspace is as it was
    Given Calico data from "calico/dataset.yaml" in etcd <version> "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces
    When I snapshot etcd "source" as "raw-before"
    And I lock the etcd datastore
    And I export the etcd datastore
    And I import the export into Kubernetes
    And I unlock the Kubernetes datastore
    And I roll back to etcd
    Then etcd "source" is unchanged since snapshot "raw-before"
    And the lock state is etcd "unlocked" and Kubernetes "absent"

    Examples:
      | version |
      | 3.4     |
      | 3.5     |
      | 3.6     |
